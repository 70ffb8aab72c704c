import {meanAndStd, meanOf, returnMetrics, type ReturnMetrics} from './metrics.js'

/**
 * Walk-forward evaluation over contiguous, non-overlapping windows.
 *
 * The periods 1..n-1 (period t earns positions[t-1]; period 0 has no return)
 * are cut into `folds + 1` blocks of equal length. Fold k (1..folds) trains on
 * block k-1 and tests on block k, the block right after it, so every test window
 * lies wholly after its training window. The out-of-sample record is the
 * concatenation of the test windows (blocks 1..folds, itself one contiguous
 * range) and the in-sample record that of the training windows (blocks 0..folds-1).
 *
 * The built-in strategies have no fitted state: their positions are computed once
 * over the whole history, which is the same as computing them fold by fold
 * because a position at t reads nothing after t (the auditor's truncation check
 * holds them to it). Parameter choice happens across nodes, in the DAG's sweeps,
 * so the train windows here give the in-sample side of the comparison.
 */

export interface PeriodRange {
  /** first period, inclusive */
  readonly from: number
  /** last period, exclusive */
  readonly to: number
}

export interface Fold {
  readonly train: PeriodRange
  readonly test: PeriodRange
}

export interface WalkForwardInput {
  /** per-period returns net of costs (index 0 unused) */
  readonly net: Float64Array
  /** the same before costs */
  readonly gross: Float64Array
  /** units traded per period */
  readonly turnover: Float64Array
}

export interface WalkForwardMetrics extends ReturnMetrics {
  /** out-of-sample Sharpe after costs: the same number as `sharpe`, under the name that says so */
  post_cost_sharpe: number
  /** out-of-sample Sharpe before costs */
  gross_sharpe: number
  /** Sharpe over the training windows (after costs), to set beside the out-of-sample `sharpe` */
  is_sharpe: number
  /** mean and sample standard deviation of the per-fold out-of-sample Sharpe ratios */
  sharpe_mean: number
  sharpe_std: number
  /** mean units of position traded per period, out of sample */
  turnover: number
  n_folds: number
}

/** The smallest number of bars `folds` folds need: two periods per block, so each window has a standard deviation. */
export const minimumBars = (folds: number): number => 2 * (folds + 1) + 1

/** The folds over a series of `bars` bars. */
export function walkForwardFolds(bars: number, folds: number): Fold[] {
  if (!Number.isInteger(folds) || folds < 1) throw new RangeError(`folds must be a positive integer, got ${folds}`)
  if (bars < minimumBars(folds)) throw new RangeError(`${bars} bars are too few for ${folds} folds; need at least ${minimumBars(folds)}`)
  const periods = bars - 1
  const blocks = folds + 1
  const blockStart = (block: number): number => 1 + Math.floor((block * periods) / blocks)
  const result: Fold[] = []
  for (let k = 1; k <= folds; k++) {
    result.push({
      train: {from: blockStart(k - 1), to: blockStart(k)},
      test: {from: blockStart(k), to: blockStart(k + 1)},
    })
  }
  return result
}

/** The out-of-sample range of `folds`: from the first test window's start to the last one's end. */
export const outOfSampleRange = (folds: readonly Fold[]): PeriodRange => ({from: folds[0].test.from, to: folds.at(-1)!.test.to})

/** The in-sample range of `folds`: the training windows, end to end. */
export const inSampleRange = (folds: readonly Fold[]): PeriodRange => ({from: folds[0].train.from, to: folds.at(-1)!.train.to})

/** Out-of-sample metrics over the concatenated test windows, with the in-sample and per-fold figures beside them. */
export function walkForwardMetrics(input: WalkForwardInput, folds: readonly Fold[], periodsPerYear: number): WalkForwardMetrics {
  const {net, gross, turnover} = input
  const outOfSample = outOfSampleRange(folds)
  const inSample = inSampleRange(folds)
  const foldSharpes = new Float64Array(folds.length)
  for (let k = 0; k < folds.length; k++) {
    foldSharpes[k] = returnMetrics(net, periodsPerYear, folds[k].test.from, folds[k].test.to).sharpe
  }
  const {mean, std} = meanAndStd(foldSharpes)
  const oos = returnMetrics(net, periodsPerYear, outOfSample.from, outOfSample.to)
  return {
    ...oos,
    post_cost_sharpe: oos.sharpe,
    gross_sharpe: returnMetrics(gross, periodsPerYear, outOfSample.from, outOfSample.to).sharpe,
    is_sharpe: returnMetrics(net, periodsPerYear, inSample.from, inSample.to).sharpe,
    sharpe_mean: mean,
    sharpe_std: std,
    turnover: meanOf(turnover, outOfSample.from, outOfSample.to),
    n_folds: folds.length,
  }
}
