import {InputError} from '../errors.js'
import type {ConfigFile, RankObjective} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {rankNodes} from '../views/rank.js'

/** What the cycle ranks by, and where that came from (for the record and the summary). */
export interface RankTarget {
  objective: RankObjective
  metric?: string
  higherIsBetter?: boolean
  /** `cycle.rank` in rigor.yaml, a gate's accept_when, or the default */
  source: string
}

export interface CycleRankResult {
  file: string
  kept: string[]
  objective: RankObjective
  metric: string
  source: string
}

const NAME = String.raw`[A-Za-z_][A-Za-z0-9_]*`
const METRIC = String.raw`metrics\s*(?:\.\s*(${NAME})|\[\s*["'](${NAME})["']\s*\])`
const NUMBER = String.raw`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`
/** `metrics.x > 1`, `metrics["x"] <= 0.2` */
const METRIC_FIRST = new RegExp(`${METRIC}\\s*(>=?|<=?)`)
/** `0.5 < metrics.x` */
const NUMBER_FIRST = new RegExp(`(?:^|[^\\w.])${NUMBER}\\s*(>=?|<=?)\\s*${METRIC}`)

/** The first metric a condition compares, and whether it asks for more of it (`>`) or less (`<`). */
export function comparedMetric(condition: string): {metric: string; higherIsBetter: boolean} | undefined {
  const first = METRIC_FIRST.exec(condition)
  const reversed = NUMBER_FIRST.exec(condition)
  if (first && (!reversed || first.index <= reversed.index)) return {metric: (first[1] ?? first[2])!, higherIsBetter: first[3]!.startsWith('>')}
  if (reversed) return {metric: (reversed[2] ?? reversed[3])!, higherIsBetter: reversed[1]!.startsWith('<')}
  return undefined
}

/**
 * What the cycle ranks by: `cycle.rank` when it says; otherwise the metric the
 * program accepts on, the first one the gates' `accept_when` conditions compare
 * (in the direction they ask for: `> 0.7` means higher is better), since an
 * accepted node reported it; otherwise Sharpe, as before there was a `cycle:`
 * section.
 */
export function rankTarget(config: ConfigFile): RankTarget {
  const rank = config.cycle.rank
  const higherIsBetter = rank.direction === undefined ? undefined : rank.direction === 'higher'
  if (rank.metric) return {objective: rank.objective ?? 'sharpe', metric: rank.metric, higherIsBetter, source: 'cycle.rank.metric'}
  if (rank.objective) return {objective: rank.objective, source: 'cycle.rank.objective'}
  for (const [i, gate] of config.gates.entries()) {
    const compared = gate.accept_when ? comparedMetric(gate.accept_when) : undefined
    if (compared)
      return {
        objective: 'sharpe',
        metric: compared.metric,
        higherIsBetter: higherIsBetter ?? compared.higherIsBetter,
        source: `gates[${i}].accept_when (gate ${gate.name})`,
      }
  }
  return {objective: 'sharpe', higherIsBetter, source: 'default'}
}

/** The cycle's rank step: rankNodes by the target, a missing metric told as the rigor.yaml field to set. */
export async function rankForCycle(ws: Workspace, opts: {keep: number; by: string}): Promise<CycleRankResult> {
  const target = rankTarget(ws.config)
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
    }
  } catch (err) {
    if (err instanceof InputError && err.field === '--metric')
      throw new InputError(`${err.message.replace(/^field "--metric": /, '')} (the cycle ranks by it: ${target.source})`, {
        file: 'rigor.yaml',
        field: 'cycle.rank.metric',
        fix: 'set cycle.rank.metric in rigor.yaml to a metric every accepted node reports (see docs/cycle.md)',
      })
    throw err
  }
}
