import {deflatedSharpeRatio, kurtosis, mean, probabilityOfBacktestOverfitting, skewness, standardDeviation, varianceOfSharpeRatios} from '../stats/index.js'
import type {AuditCheck, AuditIssue} from '../schemas/index.js'
import type {Table} from './csv.js'
import {shuffleReturns, truncateTable} from './data-variants.js'
import {inBatches, type Rerun, type RerunRequest} from './rerun.js'
import type {AuditThresholds} from './thresholds.js'

export interface CheckContext {
  base: RerunRequest
  data?: Table
  returns: number[]
  positions: Map<string, number>
  family: Array<{id: string; returns: Map<string, number>}>
  costBps: number
  t: AuditThresholds
  run: (overrides: Partial<RerunRequest>) => Promise<Rerun>
}

export interface CheckOutcome {
  check: AuditCheck
  issue?: Omit<AuditIssue, 'id'>
}

const perPeriodSharpe = (r: number[]): number => {
  const sd = standardDeviation(r)
  return r.length > 1 && sd > 0 ? mean(r) / sd : 0
}
const annualised = (r: number[], t: AuditThresholds) => perPeriodSharpe(r) * Math.sqrt(t.periods_per_year)
const skipped = (name: string, reason: string): CheckOutcome => ({check: {name, result: 'skipped', figures: {}, reason}})

/** Positions up to a cut must not change when the data after the cut is removed. */
export async function truncationCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'lookahead.truncation'
  if (!c.data) return skipped(name, 'the node declares no data file to truncate')
  if (c.positions.size === 0) return skipped(name, 'the runner wrote no positions.csv')
  const cuts = c.t.truncation_cuts.map((f) => Math.floor(c.data!.rows.length * f))
  const reruns = await inBatches(cuts.map((cut) => () => c.run({data: truncateTable(c.data!, cut)})), c.t.parallel)
  let maxDiff = 0
  let firstDate: string | null = null
  const failures: string[] = []
  reruns.forEach((r, i) => {
    if (!r.ok) return failures.push(`cut at row ${cuts[i]}: ${r.reason}`)
    for (const [date, pos] of r.positions) {
      const full = c.positions.get(date)
      if (full === undefined) continue
      const diff = Math.abs(full - pos)
      if (diff > maxDiff) maxDiff = diff
      if (diff > c.t.position_tolerance && (firstDate === null || date < firstDate)) firstDate = date
    }
  })
  const figures = {cuts, max_position_difference: maxDiff, first_differing_date: firstDate, failed_reruns: failures}
  const threshold = {position_tolerance: c.t.position_tolerance}
  if (maxDiff <= c.t.position_tolerance && failures.length === 0) return {check: {name, result: 'pass', figures, threshold}}
  return {
    check: {name, result: 'fail', figures, threshold},
    issue: {
      severity: 'critical',
      category: 'lookahead',
      description: failures.length
        ? `the strategy could not run on truncated data (${failures[0]})`
        : `positions up to a cut changed when later data was removed (by up to ${maxDiff.toPrecision(3)}, first on ${firstDate}): they read data from after their own date`,
      location: 'positions.csv of the runner; the code that computes positions',
      remediation: 'compute each position only from data up to its own date (no centred windows, no whole-sample normalisation, no next-day values)',
    },
  }
}

/** On copies of the data with shuffled daily returns an honest edge disappears; one that stays is reading the future. */
export async function permutationCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'leakage.permutation'
  if (!c.data) return skipped(name, 'the node declares no data file to permute')
  const real = annualised(c.returns, c.t)
  const reruns = await inBatches(
    Array.from({length: c.t.permutations}, (_, i) => () => c.run({data: shuffleReturns(c.data!, 1000 + i)})),
    c.t.parallel,
  )
  const sharpes = reruns.filter((r) => r.ok).map((r) => annualised([...r.returns.values()], c.t))
  if (sharpes.length < 2) return skipped(name, 'the strategy did not run on the permuted copies')
  const meanPermuted = mean(sharpes)
  const pValue = (1 + sharpes.filter((s) => s >= real).length) / (sharpes.length + 1)
  const figures = {real_sharpe: real, mean_permuted_sharpe: meanPermuted, p_value: pValue, permutations: sharpes.length}
  const threshold = {max_permuted_sharpe: c.t.max_permuted_sharpe}
  if (meanPermuted <= c.t.max_permuted_sharpe) return {check: {name, result: 'pass', figures, threshold}}
  return {
    check: {name, result: 'fail', figures, threshold},
    issue: {
      severity: 'critical',
      category: 'leakage',
      description: `on data whose daily returns were shuffled (no real pattern left) the strategy still earns a Sharpe of ${meanPermuted.toFixed(2)}: it uses information it could not have had`,
      location: 'the runner: how prices and positions are aligned',
      remediation: 'make the position at day t depend only on data up to t, and earn the return of day t+1',
    },
  }
}

/** The Sharpe ratio deflated for the number of trials of its family and their spread. */
export function dsrCheck(c: CheckContext): CheckOutcome {
  const name = 'overfitting.dsr'
  if (c.returns.length < 10) return skipped(name, 'too few returns')
  const sharpes = c.family.map((f) => perPeriodSharpe([...f.returns.values()]))
  const nTrials = Math.max(1, c.family.length)
  const variance = sharpes.length > 1 ? varianceOfSharpeRatios(sharpes) : 0
  const {dsr, sr0} = deflatedSharpeRatio({
    sharpe: perPeriodSharpe(c.returns),
    nTrials,
    varianceOfTrialSharpes: variance,
    nObs: c.returns.length,
    skewness: skewness(c.returns),
    kurtosis: kurtosis(c.returns),
  })
  const figures = {dsr, sr0, sharpe: perPeriodSharpe(c.returns), trials: nTrials, var_trials: variance, n_obs: c.returns.length}
  const threshold = {min_dsr: c.t.min_dsr}
  if (dsr >= c.t.min_dsr) return {check: {name, result: 'pass', figures, threshold}}
  return {
    check: {name, result: 'fail', figures, threshold},
    issue: {
      severity: 'major',
      category: 'overfitting',
      description: `after deflating for ${nTrials} trial(s) the probability that the true Sharpe ratio is positive is ${dsr.toFixed(3)}, below ${c.t.min_dsr}`,
      location: 'the node and its sibling family in the DAG',
      remediation: 'fewer, better-motivated variants; a longer out-of-sample record; or accept that the edge is not proven',
    },
  }
}

/** CSCV over the family's returns: how often the in-sample winner is below the median out of sample. */
export function pboCheck(c: CheckContext): CheckOutcome {
  const name = 'overfitting.pbo'
  if (c.family.length < c.t.min_pbo_trials) return skipped(name, `the family has ${c.family.length} trial(s); PBO needs at least ${c.t.min_pbo_trials}`)
  const dates = [...c.family[0]!.returns.keys()].filter((d) => c.family.every((f) => f.returns.has(d))).sort()
  if (dates.length < 2 * c.t.pbo_splits) return skipped(name, `only ${dates.length} dates common to the family`)
  const rows = dates.map((d) => c.family.map((f) => f.returns.get(d)!))
  const result = probabilityOfBacktestOverfitting(rows, {splits: c.t.pbo_splits})
  const figures = {pbo: result.pbo, trials: c.family.length, rows: dates.length, combinations: result.combinations}
  const threshold = {max_pbo: c.t.max_pbo}
  if (result.pbo <= c.t.max_pbo) return {check: {name, result: 'pass', figures, threshold}}
  return {
    check: {name, result: 'fail', figures, threshold},
    issue: {
      severity: 'major',
      category: 'overfitting',
      description: `the probability of backtest overfitting of this family is ${result.pbo.toFixed(2)}: the best in-sample variant usually disappoints out of sample`,
      location: 'the node and its sibling family in the DAG',
      remediation: 'choose among variants on data the selection never saw, or shrink the search',
    },
  }
}

/** The edge must survive the configured multiple of the transaction costs. */
export async function costsCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'robustness.costs'
  const cost = c.costBps * c.t.cost_multiplier
  const rerun = await c.run({params: {...c.base.node.params, cost_bps: cost}, env: {RIGOR_COST_MULTIPLIER: String(c.t.cost_multiplier)}})
  if (!rerun.ok) return skipped(name, `the re-run at higher costs failed: ${rerun.reason}`)
  const sharpe = annualised([...rerun.returns.values()], c.t)
  const figures = {cost_bps: cost, sharpe_at_costs: sharpe, sharpe: annualised(c.returns, c.t)}
  const threshold = {min_sharpe_at_costs: c.t.min_sharpe_at_costs, multiplier: c.t.cost_multiplier}
  if (sharpe > c.t.min_sharpe_at_costs) return {check: {name, result: 'pass', figures, threshold}}
  return {
    check: {name, result: 'fail', figures, threshold},
    issue: {
      severity: 'major',
      category: 'other',
      description: `at ${c.t.cost_multiplier}x the costs (${cost} bps) the Sharpe ratio falls to ${sharpe.toFixed(2)}`,
      location: 'turnover of the strategy',
      remediation: 'trade less (longer holding, a no-trade band) before deploying',
    },
  }
}

/** Re-runs with other seeds: a gain smaller than the seed-to-seed noise is no gain. */
export async function seedsCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'robustness.seeds'
  const reruns = await inBatches(c.t.seeds.map((seed) => () => c.run({seed})), c.t.parallel)
  const sharpes = [annualised(c.returns, c.t), ...reruns.filter((r) => r.ok).map((r) => annualised([...r.returns.values()], c.t))]
  if (sharpes.length < 2) return skipped(name, 'the re-runs with other seeds failed')
  const noise = standardDeviation(sharpes)
  const edge = Math.min(...sharpes)
  const figures = {seeds: [0, ...c.t.seeds], sharpes, seed_noise: noise, weakest_sharpe: edge}
  const threshold = {seed_noise_multiple: c.t.seed_noise_multiple}
  if (edge > 0 && edge > c.t.seed_noise_multiple * noise) return {check: {name, result: 'pass', figures, threshold}}
  return {
    check: {name, result: 'fail', figures, threshold},
    issue: {
      severity: 'major',
      category: 'overfitting',
      description: `the Sharpe ratio varies by ${noise.toFixed(2)} from seed to seed and is ${edge.toFixed(2)} at worst: the edge is not larger than the noise`,
      location: 'everything random in the runner (RIGOR_SEED)',
      remediation: 'average over seeds, or remove the randomness the result depends on',
    },
  }
}
