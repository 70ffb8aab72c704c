/**
 * The built-in strategy kit as a library: load prices, pick a strategy, run a
 * walk-forward backtest in process. `rigor backtest` is a thin runner over this.
 *
 *   const prices = loadPrices('data/SYNTH-A.csv')
 *   const strategy = getStrategy('momentum')
 *   const {metrics} = runBacktest(createBacktestWorkspace(prices.close), strategy,
 *     parseStrategyParams(strategy, {lookback: 60}), {costBps: 5, folds: 5})
 */
export {createBacktestWorkspace, runBacktest} from './backtest.js'
export type {BacktestMetrics, BacktestOptions, BacktestResult, BacktestWorkspace} from './backtest.js'
export {assetReturns, createReturnBuffers, grossReturns, strategyReturns} from './engine.js'
export type {ReturnBuffers} from './engine.js'
export * from './metrics.js'
export {loadPrices, parsePrices} from './prices.js'
export type {PriceSeries} from './prices.js'
export {runBacktestProtocol, ARTIFACTS, DEFAULT_COST_BPS, DEFAULT_FOLDS} from './run-protocol.js'
export type {BacktestProtocolOptions, BacktestProtocolResult} from './run-protocol.js'
export {BASE_STRATEGIES, getStrategy, parseStrategyParams, STRATEGIES, STRATEGY_NAMES} from './strategies/index.js'
export type {Strategy} from './strategies/index.js'
export {minimumBars, outOfSampleRange, walkForwardFolds, walkForwardMetrics} from './walk-forward.js'
export type {Fold, PeriodRange, WalkForwardInput, WalkForwardMetrics} from './walk-forward.js'
