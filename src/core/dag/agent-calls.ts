import {randomUUID} from 'node:crypto'
import {AgentCallFile} from '../schemas/agent-call.js'
import {dumpStateDocument, loadStateDocument} from '../state/documents.js'
import {AGENT_CALLS_DIR} from '../state/layout.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import {nowIso} from '../state/node-files.js'
import type {FileChange} from '../git/tree-edit.js'
import type {Cost} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'

/**
 * Every agent call leaves a checksummed record (what it cost, how many attempts,
 * why the failed ones failed) under reports/agent-calls/, which the budget counts.
 */
export async function recordAgentCall(
  ws: Workspace,
  call: {
    kind: 'design' | 'assess'
    agent: string
    cost: Cost
    attempts: number
    failures: string[]
    cost_unread?: string[]
    duration_s?: number
    node?: string
  },
  /** the call's budget reservation (agent-reservations.ts), which the record replaces in the same commit */
  reservation?: string,
): Promise<string> {
  const at = new Date()
  // the random part, as a reservation's: two calls of one process in one millisecond are two records, not one
  // (records named before it, <time>-<kind>-<pid>.yaml, are read as they are)
  const file = `${AGENT_CALLS_DIR}/${nowIso(at).replace(/[:.]/g, '-')}-${call.kind}-${process.pid}-${randomUUID().slice(0, 8)}.yaml`
  const {cost_unread, ...rest} = call
  const record = {...rest, ...(cost_unread?.length ? {cost_unread} : {}), called_at: nowIso(at)}
  const files = new Map<string, FileChange>([[file, dumpStateDocument(record)]])
  if (reservation) files.set(reservation, null)
  await ws.commit(async () => ({
    files,
    message: {
      action: call.kind,
      subject: `${call.kind} by ${call.agent}: ${call.attempts} attempt(s), $${call.cost.usd.toFixed(4)}`,
      nodes: call.node ? [call.node] : [],
      trailers: {Attempts: String(call.attempts), 'Cost-Usd': String(call.cost.usd)},
    },
    result: undefined,
  }))
  return file
}

/** What the agent calls of one UTC day cost, from their checksummed records at `commit`; a broken record counts nothing and is `rigor verify`'s to report. */
export async function agentSpend(ws: Workspace, commit: string | undefined, day: string): Promise<number> {
  if (!commit) return 0
  const files = (await listTreeFiles(ws.repo, await ws.repo.commitTree(commit), AGENT_CALLS_DIR)).filter((f) =>
    f.path.slice(AGENT_CALLS_DIR.length + 1).startsWith(day),
  )
  const blobs = await readBlobs(
    ws.repo,
    files.map((f) => f.oid),
  )
  let total = 0
  files.forEach((f, i) => {
    try {
      total += loadStateDocument(AgentCallFile, blobs[i]!.toString('utf8'), f.path).cost.usd
    } catch {
      // unusable records are named by rigor verify
    }
  })
  return total
}
