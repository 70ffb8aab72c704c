import type {NodeStatus} from '../schemas/index.js'
import {NODE_STATUSES} from '../schemas/statuses.js'
import type {FileProblem, Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {nodeFilePath, verdictFilePath} from '../state/layout.js'

export interface StatusSummary {
  total: number
  by_status: Record<NodeStatus, number>
  by_team: Record<string, Partial<Record<NodeStatus, number>>>
  /** sweep group nodes: they hold variants and are never run */
  sweeps: number
  archived: number
  /** state files that cannot be used (corrupt checksum, invalid content, a verdict without its node file: kind `orphan`) */
  problems: Array<{file: string; kind: string; message: string}>
  commit: string | null
}

const emptyCounts = (): Record<NodeStatus, number> => Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>

/**
 * Counts by status and by team; sweep groups and broken files are counted apart.
 * With `team`, only that team's nodes, sweep groups and archived nodes are counted
 * (`by_team` holds that team alone); the problems are the workspace's, whatever the team.
 * `teams` (rigor.yaml's) each have an entry in `by_team`, empty until the team has
 * nodes, as `team` has: a team just added is seen at once.
 */
export function summariseStatus(snap: Snapshot, opts: {team?: string; teams?: readonly string[]} = {}): StatusSummary {
  const summary: StatusSummary = {
    total: 0,
    by_status: emptyCounts(),
    by_team: Object.fromEntries((opts.team === undefined ? (opts.teams ?? []) : [opts.team]).map((t) => [t, {}])),
    sweeps: 0,
    archived: 0,
    problems: [],
    commit: snap.commit ?? null,
  }
  for (const record of snap.nodes.values()) {
    if (record.problem) {
      summary.problems.push(problemEntry(record.problem))
      continue
    }
    const node = record.node!
    if (opts.team !== undefined && node.team !== opts.team) continue
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

/**
 * summariseStatus with rigor.yaml's teams, and with the verdict files that cannot
 * be used among the problems (reading them all, as `rigor verify` does).
 */
export async function statusWithVerdicts(ws: Workspace, snap: Snapshot, opts: {team?: string} = {}): Promise<StatusSummary> {
  const summary = summariseStatus(snap, {...opts, teams: ws.config.teams.map((t) => t.name)})
  for (const {problem} of await ws.store.verdictProblems(snap)) summary.problems.push(problemEntry(problem))
  for (const id of snap.orphanVerdicts ?? []) summary.problems.push(orphanVerdictEntry(id))
  summary.problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  return summary
}

export function problemEntry(problem: FileProblem): StatusSummary['problems'][number] {
  return {
    file: problem.file,
    kind: problem.kind,
    message: problem.kind === 'corrupt' ? `checksum mismatch (expected ${problem.expected}, actual ${problem.actual})` : problem.message,
  }
}

/** A verdict file committed without its node file: no node has it, so nothing else counts or shows it. */
function orphanVerdictEntry(id: string): StatusSummary['problems'][number] {
  return {
    file: verdictFilePath(id),
    kind: 'orphan',
    message: `a verdict without its node: ${nodeFilePath(id)} is not on the branch, so no node ${id} exists to hold it; put the node file back (\`rigor verify\` names the commit that removed it and the command that restores it) or remove the verdict (git rm)`,
  }
}
