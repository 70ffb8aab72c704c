import {InputError} from '../errors.js'
import type {ConfigFile, RankObjective} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {rankNodes} from '../views/rank.js'
import {comparedMetrics} from '../state/condition-metrics.js'

/** What the cycle ranks by, and where that came from (for the record and the summary). */
export interface RankTarget {
  objective: RankObjective
  metric?: string
  higherIsBetter?: boolean
  /** `cycle.rank` in rigor.yaml, a gate's accept_when, or the default */
  source: string
}

export interface CycleRankResult {
  /** null when no node was accepted: nothing is recorded then (nothing_to_rank says why) */
  file: string | null
  kept: string[]
  objective: RankObjective
  metric: string
  source: string
  nothing_to_rank?: {why: string; fix: string}
}

/**
 * What the cycle may rank by, best first: `cycle.rank` when it says (one
 * target); otherwise the metrics the gates' `accept_when` conditions compare, in
 * the order written and in the direction they ask for (`> 0.7`: higher is
 * better), then Sharpe, as before there was a `cycle:` section. rankForCycle
 * takes the first one every accepted node reports.
 */
export function rankTargets(config: ConfigFile): RankTarget[] {
  const rank = config.cycle.rank
  const higherIsBetter = rank.direction === undefined ? undefined : rank.direction === 'higher'
  if (rank.metric) return [{objective: rank.objective ?? 'sharpe', metric: rank.metric, higherIsBetter, source: 'cycle.rank.metric'}]
  if (rank.objective) return [{objective: rank.objective, source: 'cycle.rank.objective'}]
  const targets: RankTarget[] = []
  config.gates.forEach((gate, i) => {
    for (const compared of gate.accept_when ? comparedMetrics(gate.accept_when) : []) {
      if (targets.some((t) => t.metric === compared.metric)) continue
      targets.push({
        objective: 'sharpe',
        metric: compared.metric,
        higherIsBetter: higherIsBetter ?? compared.higherIsBetter,
        source: `gates[${i}].accept_when (gate ${gate.name})`,
      })
    }
  })
  if (!targets.some((t) => t.metric === 'sharpe')) targets.push({objective: 'sharpe', source: 'default'})
  return targets
}

/** The first target every accepted node reports a number for (the first of all when none fits: rankNodes then says which node lacks it). */
async function chooseTarget(ws: Workspace, targets: RankTarget[]): Promise<RankTarget> {
  if (targets.length === 1) return targets[0]!
  const snap = await ws.currentSnapshot()
  const reported: Array<Record<string, number>> = []
  for (const record of snap.nodes.values()) {
    if (record.node?.status !== 'proven_accepted' || record.node.sweep) continue
    // an unreadable verdict is left out here as rankNodes leaves it out
    if (await ws.store.verdictProblem(record)) continue
    const verdict = await ws.store.verdict(record)
    if (verdict) reported.push(verdict.metrics)
  }
  return targets.find((t) => reported.every((metrics) => typeof metrics[t.metric ?? 'sharpe'] === 'number')) ?? targets[0]!
}

/** What the cycle ranks by now, and what `rigor rank` ranks by when told neither --objective nor --metric. */
export const chooseRankTarget = (ws: Workspace): Promise<RankTarget> => chooseTarget(ws, rankTargets(ws.config))

/** The cycle's rank step: rankNodes by the target, a missing metric told as the rigor.yaml field to set. */
export async function rankForCycle(ws: Workspace, opts: {keep: number; by: string}): Promise<CycleRankResult> {
  const target = await chooseRankTarget(ws)
  try {
    const ranked = await rankNodes(ws, {
      objective: target.objective,
      metric: target.metric,
      higherIsBetter: target.higherIsBetter,
      keep: opts.keep,
      by: opts.by,
    })
    return {
      file: ranked.file,
      kept: ranked.ranking.kept,
      objective: target.objective,
      metric: ranked.ranking.metric,
      source: target.source,
      ...(ranked.nothing_to_rank ? {nothing_to_rank: ranked.nothing_to_rank} : {}),
    }
  } catch (err) {
    if (err instanceof InputError && err.field === '--metric')
      throw new InputError(`${err.message.replace(/^field "--metric": /, '')} (the cycle ranks by it: ${target.source})`, {
        file: ws.configFile,
        field: 'cycle.rank.metric',
        fix: 'set cycle.rank.metric in rigor.yaml to a metric every accepted node reports, or leave rank out with cycle: {rank: {enabled: false}} when the nodes report different metrics (stages of a pipeline; see docs/cycle.md)',
      })
    throw err
  }
}
