import {parseTrailers} from '../state/commit-message.js'
import type {Workspace} from '../state/workspace.js'

export interface LogEntry {
  commit: string
  time: string
  action: string
  nodes: string[]
  worker?: string
  subject: string
  trailers: Record<string, string>
}

export interface LogQuery {
  limit?: number
  node?: string
  action?: string
  worker?: string
  /** read from this commit instead of the state's tip */
  tip?: string
  /** only commits after this one (an ancestor of the tip): what is new since it was last read */
  since?: string
}

/** The activity log: rigor's commits on the state branch, newest first, read back from their trailers. */
export async function readActivityLog(ws: Workspace, query: LogQuery = {}): Promise<LogEntry[]> {
  const tip = query.tip ?? (await ws.readTip())
  if (!tip) return []
  const entries: LogEntry[] = []
  for (const {commit, time, message} of await ws.repo.commitMessages(query.since ? `${query.since}..${tip}` : tip, '^Rigor-Action: ')) {
    const trailers = parseTrailers(message)
    if (!trailers.action) continue
    const entry: LogEntry = {
      commit,
      time,
      action: trailers.action,
      nodes: trailers.nodes,
      worker: trailers.worker,
      subject: message.split('\n')[0]!.replace(/^rigor: /, ''),
      trailers: trailers.other,
    }
    if (query.node && !entry.nodes.includes(query.node)) continue
    if (query.action && entry.action !== query.action) continue
    if (query.worker && entry.worker !== query.worker) continue
    entries.push(entry)
    if (query.limit && entries.length >= query.limit) break
  }
  return entries
}
