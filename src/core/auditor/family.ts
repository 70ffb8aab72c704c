import {inputSources} from '../dag/inputs.js'
import {parentId} from '../state/ids.js'
import type {NodeFile} from '../schemas/index.js'
import {RunnerVerdict} from '../schemas/verdict.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {finiteSeriesByDate} from './csv.js'

/**
 * A family is the set of trials that competed for the same selection: DSR
 * deflates by its size and spread, PBO cross-validates over it.
 *
 * - `family: <name>` on a node (or its sweep, or the node a rule spawned it
 *   from) puts it in that family, whatever its data;
 * - otherwise: the nodes with the same lineage parent (the sweep for a variant,
 *   the source for a child spawn, the id's prefix for a root such as
 *   `trend/momentum`) and the same data file. Two root strategies on different
 *   data are two families.
 * - either way, the stages of the audited node's own pipeline (what it reads
 *   through `inputs:`, what reads it) are not its competitors.
 *
 * N counts every finished trial (accepted or rejected) plus the trials made
 * outside rigor: the largest `trials_outside` declared on a member node (a
 * sweep's value is on each of its variants, so it counts once) and the sum of
 * `trials_outside` the members' runners reported in verdict.json (each run's own
 * internal search).
 */
export interface Family {
  /** what makes two nodes one family (a `family:` name, or lineage parent and data): sealed-holdout openings are counted by it */
  key: string
  /** how membership was decided, e.g. `family "trend"` or `children of trend/momentum on prices.csv` */
  rule: string
  members: Array<{id: string; returns: Map<string, number>}>
  /** finished trials in rigor (accepted or rejected) */
  trials_in_rigor: number
  trials_outside_declared: number
  trials_outside_runners: number
  /** N for DSR */
  trials: number
  counted: string
}

export function familyKey(node: NodeFile): {key: string; rule: string} {
  if (node.family) return {key: `family:${node.family}`, rule: `family "${node.family}"`}
  const parent = node.parent ?? parentId(node.id)
  const data = node.data ?? '(no data)'
  const under = parent ? `children of ${parent}` : `root nodes of team ${node.team}`
  return {key: `${parent ? `parent:${parent}` : `team:${node.team}`}|data:${data}`, rule: `${under} on ${data}`}
}

export async function resolveFamily(ws: Workspace, snap: Snapshot, node: NodeFile): Promise<Family> {
  const {key, rule} = familyKey(node)
  const members: Family['members'] = []
  let trials = 0
  let declared = node.trials_outside ?? 0
  let fromRunners = 0
  const stages = pipelineStages(snap, node.id)
  const skipped: string[] = []
  for (const record of snap.nodes.values()) {
    const n = record.node
    if (!n || n.sweep || !record.verdictOid || familyKey(n).key !== key) continue
    if (stages.has(n.id)) {
      skipped.push(n.id)
      continue
    }
    if (n.status !== 'proven_accepted' && n.status !== 'proven_rejected') continue
    trials++
    declared = Math.max(declared, n.trials_outside ?? 0)
    const [returnsText, verdictText] = await Promise.all([
      ws.repo.readFileAt(snap.commit!, `experiments/${n.id}/out/returns.csv`),
      ws.repo.readFileAt(snap.commit!, `experiments/${n.id}/out/verdict.json`),
    ])
    fromRunners += runnerTrialsOutside(verdictText?.toString('utf8'))
    if (returnsText) members.push({id: n.id, returns: finiteSeriesByDate(returnsText.toString('utf8'), 'return')})
  }
  const total = Math.max(1, trials + declared + fromRunners)
  const outside = declared + fromRunners
  const counted =
    `N = ${total}: ${trials} finished trial(s) in rigor (${rule})` +
    (outside > 0 ? ` + ${outside} made outside rigor (${declared} declared with trials_outside, ${fromRunners} reported by runners)` : '') +
    (skipped.length ? `; not counted, stages of its own pipeline: ${skipped.sort().join(', ')}` : '')
  return {
    key,
    rule,
    members,
    trials_in_rigor: trials,
    trials_outside_declared: declared,
    trials_outside_runners: fromRunners,
    trials: total,
    counted,
  }
}

/**
 * The nodes of `id`'s own pipeline: what it reads through `inputs:`, and what
 * reads it, each followed on. A train stage that feeds a backtest did not
 * compete with it for the selection; counting it as a trial deflated every
 * pipeline's backtest for its own training.
 */
export function pipelineStages(snap: Snapshot, id: string): Set<string> {
  const sources = new Map<string, string[]>()
  const readers = new Map<string, string[]>()
  for (const record of snap.nodes.values()) {
    if (!record.node) continue
    const from = inputSources(record.node.inputs)
    sources.set(record.node.id, from)
    for (const source of from) readers.set(source, [...(readers.get(source) ?? []), record.node.id])
  }
  const stages = new Set<string>()
  for (const next of [sources, readers]) {
    const queue = [...(next.get(id) ?? [])]
    while (queue.length) {
      const stage = queue.pop()!
      if (stage === id || stages.has(stage)) continue
      stages.add(stage)
      queue.push(...(next.get(stage) ?? []))
    }
  }
  return stages
}

/** trials_outside from a committed runner verdict.json; an unreadable one counts 0 (the run's own verdict was validated when it ran). */
function runnerTrialsOutside(text: string | undefined): number {
  if (!text) return 0
  try {
    const parsed = RunnerVerdict.safeParse(JSON.parse(text))
    return parsed.success ? (parsed.data.trials_outside ?? 0) : 0
  } catch {
    return 0
  }
}
