import type {NodeStatus} from '../schemas/index.js'
import {NODE_STATUSES} from '../schemas/statuses.js'
import type {Snapshot} from '../state/store.js'

export interface StatusSummary {
  total: number
  by_status: Record<NodeStatus, number>
  by_team: Record<string, Partial<Record<NodeStatus, number>>>
  /** sweep group nodes: they hold variants and are never run */
  sweeps: number
  archived: number
  /** state files that cannot be used (corrupt checksum, invalid content) */
  problems: Array<{file: string; kind: string; message: string}>
  commit: string | null
}

const emptyCounts = (): Record<NodeStatus, number> => Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>

/** Counts by status and by team; sweep groups and broken files are counted apart. */
export function summariseStatus(snap: Snapshot): StatusSummary {
  const summary: StatusSummary = {
    total: 0,
    by_status: emptyCounts(),
    by_team: {},
    sweeps: 0,
    archived: 0,
    problems: [],
    commit: snap.commit ?? null,
  }
  for (const record of snap.nodes.values()) {
    if (record.problem) {
      summary.problems.push({
        file: record.problem.file,
        kind: record.problem.kind,
        message:
          record.problem.kind === 'corrupt'
            ? `checksum mismatch (expected ${record.problem.expected}, actual ${record.problem.actual})`
            : record.problem.message,
      })
      continue
    }
    const node = record.node!
    if (node.sweep) {
      summary.sweeps++
      continue
    }
    summary.total++
    summary.by_status[node.status]++
    const team = (summary.by_team[node.team] ??= {})
    team[node.status] = (team[node.status] ?? 0) + 1
    if (node.archived) summary.archived++
  }
  return summary
}
