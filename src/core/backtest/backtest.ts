import {assetReturns, strategyReturns, turnoverSeries} from './engine.js'
import {TRADING_DAYS_PER_YEAR} from './metrics.js'
import type {Strategy} from './strategies/strategy.js'
import {outOfSampleRange, walkForwardFolds, walkForwardMetrics, type Fold, type PeriodRange, type WalkForwardMetrics} from './walk-forward.js'

/**
 * One backtest, in process: strategy -> positions -> returns after costs ->
 * walk-forward metrics. This is what `rigor backtest` runs and what the
 * benchmark times; a sweep reuses one workspace per price series so that no
 * variant allocates anything but its small metrics object.
 */

export interface BacktestOptions {
  /** cost in basis points per unit of position traded */
  costBps: number
  folds: number
  periodsPerYear?: number
}

export interface BacktestMetrics extends WalkForwardMetrics {
  cost_bps: number
}

/** Buffers sized to one price series, plus its asset returns computed once. */
export interface BacktestWorkspace {
  readonly closes: Float64Array
  readonly asset: Float64Array
  readonly positions: Float64Array
  readonly net: Float64Array
  readonly gross: Float64Array
  readonly turnover: Float64Array
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
  return {
    closes,
    asset: assetReturns(closes),
    positions: new Float64Array(n),
    net: new Float64Array(n),
    gross: new Float64Array(n),
    turnover: new Float64Array(n),
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
  strategyReturns(workspace.asset, positions, options.costBps, workspace.net)
  strategyReturns(workspace.asset, positions, 0, workspace.gross)
  turnoverSeries(positions, workspace.turnover)
  const metrics = walkForwardMetrics(workspace, folds, periodsPerYear)
  return {
    metrics: {...metrics, cost_bps: options.costBps},
    positions,
    net: workspace.net,
    outOfSample: outOfSampleRange(folds),
    folds,
  }
}
