import {combineMetrics, meanAndStd, pathMetrics, pooledMoments, sharpeFromMoments, type Moments, type ReturnMetrics} from './metrics.js'

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
  /** per-period returns after costs (index 0 unused) */
  readonly net: Float64Array
  /** units of position traded, per period */
  readonly traded: Float64Array
  /** what a unit traded cost, so the gross return is net + costBps / 10_000 * traded */
  readonly costBps: number
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
  /** the cost the run charged, in basis points per unit traded (a record for the auditor's doubled-cost re-run) */
  cost_bps: number
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
  const ranges: PeriodRange[] = Array.from({length: blocks}, (_, block) => ({from: blockStart(block), to: blockStart(block + 1)}))
  // a fold's training window is the very range object of the previous fold's test window,
  // which lets walkForwardMetrics summarise each block once
  return Array.from({length: folds}, (_, k) => ({train: ranges[k], test: ranges[k + 1]}))
}

/** The out-of-sample range of `folds`: from the first test window's start to the last one's end. */
export const outOfSampleRange = (folds: readonly Fold[]): PeriodRange => ({from: folds[0].test.from, to: folds.at(-1)!.test.to})

/** What one window contributes: the moments of its net and gross returns and the units it traded. */
interface WindowSummary {
  net: Moments
  gross: Moments
  traded: number
}

/** One pass over a window for all three figures (their sums are independent, so the CPU overlaps them). */
function summariseWindow(input: WalkForwardInput, window: PeriodRange, netShift: number, grossShift: number): WindowSummary {
  const {net, traded} = input
  const costPerUnit = input.costBps / 10_000
  let netSum = 0
  let netSquares = 0
  let grossSum = 0
  let grossSquares = 0
  let tradedSum = 0
  for (let t = window.from; t < window.to; t++) {
    const r = net[t]
    const units = traded[t]
    const n = r - netShift
    const g = r + costPerUnit * units - grossShift
    netSum += n
    netSquares += n * n
    grossSum += g
    grossSquares += g * g
    tradedSum += units
  }
  const length = window.to - window.from
  return {
    net: {n: length, shift: netShift, sum: netSum, squares: netSquares},
    gross: {n: length, shift: grossShift, sum: grossSum, squares: grossSquares},
    traded: tradedSum,
  }
}

/**
 * Out-of-sample metrics over the concatenated test windows, with the in-sample
 * and per-fold figures beside them. `folds` are walkForwardFolds', whose test
 * windows follow one another. Each window is summarised once (a rolling fold's
 * training window is the previous fold's test window, the same range object) and
 * the summaries are pooled; the order-dependent figures (drawdown, win rate,
 * compounding) take one more walk over the test windows.
 */
export function walkForwardMetrics(input: WalkForwardInput, folds: readonly Fold[], periodsPerYear: number): WalkForwardMetrics {
  const outOfSample = outOfSampleRange(folds)
  // one shift per series for every window, so window moments pool by plain addition
  const netShift = input.net[outOfSample.from]
  const grossShift = netShift + (input.costBps / 10_000) * input.traded[outOfSample.from]
  const summaries = new Map<PeriodRange, WindowSummary>()
  const summary = (window: PeriodRange): WindowSummary => {
    let found = summaries.get(window)
    if (found === undefined) {
      found = summariseWindow(input, window, netShift, grossShift)
      summaries.set(window, found)
    }
    return found
  }
  const tests = folds.map((fold) => summary(fold.test))
  const trains = folds.map((fold) => summary(fold.train))
  const foldSharpes = tests.map((test) => sharpeFromMoments(test.net, periodsPerYear))
  const {mean, std} = meanAndStd(foldSharpes)
  const testNet = pooledMoments(tests.map((test) => test.net))
  const oos = combineMetrics(testNet, pathMetrics(input.net, outOfSample.from, outOfSample.to), periodsPerYear)
  // fields spelled out: an object spread here costs more than all the loops above
  return {
    n_periods: oos.n_periods,
    mean_pnl: oos.mean_pnl,
    volatility: oos.volatility,
    sharpe: oos.sharpe,
    sortino: oos.sortino,
    max_drawdown: oos.max_drawdown,
    win_rate: oos.win_rate,
    total_return: oos.total_return,
    post_cost_sharpe: oos.sharpe,
    gross_sharpe: sharpeFromMoments(pooledMoments(tests.map((test) => test.gross)), periodsPerYear),
    is_sharpe: sharpeFromMoments(pooledMoments(trains.map((train) => train.net)), periodsPerYear),
    sharpe_mean: mean,
    sharpe_std: std,
    turnover: testNet.n > 0 ? tests.reduce((sum, test) => sum + test.traded, 0) / testNet.n : 0,
    n_folds: folds.length,
    cost_bps: input.costBps,
  }
}
