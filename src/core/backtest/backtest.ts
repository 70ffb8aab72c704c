import {assetReturns, strategyReturns, type ReturnBuffers} from './engine.js'
import {TRADING_DAYS_PER_YEAR} from './metrics.js'
import type {Strategy} from './strategies/strategy.js'
import {
  outOfSampleRange,
  walkForwardFolds,
  walkForwardMetrics,
  type Fold,
  type PeriodRange,
  type WalkForwardMetrics,
} from './walk-forward.js'

/**
 * One backtest, in process: strategy -> positions -> returns after costs ->
 * walk-forward metrics. This is what `rigor backtest` runs and what the
 * benchmark times. A sweep reuses one workspace per price series, so a variant
 * allocates nothing but its small metrics objects.
 */

export interface BacktestOptions {
  /** cost in basis points per unit of position traded */
  costBps: number
  folds: number
  periodsPerYear?: number
}

export type BacktestMetrics = WalkForwardMetrics

/** One price series with its asset returns computed once, and the buffers every run writes into. */
export interface BacktestWorkspace extends ReturnBuffers {
  readonly closes: Float64Array
  readonly asset: Float64Array
  readonly positions: Float64Array
  readonly foldsByCount: Map<number, Fold[]>
}

export interface BacktestResult {
  metrics: BacktestMetrics
  /** positions[t]: decided at the close of bar t (a view of the workspace: the next run overwrites it) */
  positions: Float64Array
  /** per-period returns after costs (a view of the workspace) */
  net: Float64Array
  outOfSample: PeriodRange
  folds: readonly Fold[]
}

export function createBacktestWorkspace(closes: Float64Array): BacktestWorkspace {
  const n = closes.length
  // one allocation for the four series: large typed arrays are costly to create one by one
  const memory = new Float64Array(4 * n)
  const slice = (i: number): Float64Array => memory.subarray(i * n, (i + 1) * n)
  return {
    closes,
    asset: assetReturns(closes, slice(0)),
    positions: slice(1),
    net: slice(2),
    traded: slice(3),
    foldsByCount: new Map(),
  }
}

/** Run `strategy` with already-validated `params` over the workspace's prices. */
export function runBacktest<P>(workspace: BacktestWorkspace, strategy: Strategy<P>, params: P, options: BacktestOptions): BacktestResult {
  const periodsPerYear = options.periodsPerYear ?? TRADING_DAYS_PER_YEAR
  let folds = workspace.foldsByCount.get(options.folds)
  if (folds === undefined) {
    folds = walkForwardFolds(workspace.closes.length, options.folds)
    workspace.foldsByCount.set(options.folds, folds)
  }
  const positions = strategy.positions(workspace.closes, params, workspace.positions)
  strategyReturns(workspace.asset, positions, options.costBps, workspace)
  const metrics = walkForwardMetrics({net: workspace.net, traded: workspace.traded, costBps: options.costBps}, folds, periodsPerYear)
  return {
    metrics,
    positions,
    net: workspace.net,
    outOfSample: outOfSampleRange(folds),
    folds,
  }
}
