/**
 * Performance metrics of a per-period return series, over the half-open range
 * [from, to) so walk-forward windows need no copies.
 *
 * Conventions (the README repeats them):
 * - returns are simple per-period returns, net of costs when the caller passes net returns;
 * - the risk-free rate is 0;
 * - sharpe = mean / sample standard deviation (n - 1) * sqrt(periods_per_year);
 * - sortino = mean / downside deviation * sqrt(periods_per_year), where the downside
 *   deviation is sqrt(sum(min(r, 0)^2) / n) over all n periods (Sortino & Price, target 0);
 * - max_drawdown is the largest peak-to-trough fall of the compounded equity curve
 *   starting at 1 before the first period, as a positive fraction (0.25 = -25%);
 * - win_rate is the share of positive periods among periods with a non-zero return,
 *   so days spent flat neither win nor lose;
 * - a ratio whose denominator is 0 (no variation, no losing period) is undefined and
 *   reported as 0, because JSON has no Infinity and a gate must never see NaN.
 */

export const TRADING_DAYS_PER_YEAR = 252

export interface ReturnMetrics {
  n_periods: number
  /** mean per-period return */
  mean_pnl: number
  /** annualised sample standard deviation */
  volatility: number
  sharpe: number
  sortino: number
  max_drawdown: number
  win_rate: number
  /** compounded: prod(1 + r) - 1 */
  total_return: number
}

/** Every metric of returns[from..to) in one pass. */
export function returnMetrics(
  returns: Float64Array,
  periodsPerYear = TRADING_DAYS_PER_YEAR,
  from = 0,
  to = returns.length,
): ReturnMetrics {
  const n = to - from
  if (n <= 0) {
    return {n_periods: 0, mean_pnl: 0, volatility: 0, sharpe: 0, sortino: 0, max_drawdown: 0, win_rate: 0, total_return: 0}
  }
  // sums shifted by the first value: exact zero variance for a constant series, no cancellation for small ones
  const shift = returns[from]
  let shiftedSum = 0
  let shiftedSquares = 0
  let downsideSquares = 0
  let wins = 0
  let active = 0
  let equity = 1
  let peak = 1
  let worstRatio = 1 // lowest equity / peak seen so far
  for (let t = from; t < to; t++) {
    const r = returns[t]
    const d = r - shift
    shiftedSum += d
    shiftedSquares += d * d
    if (r < 0) {
      downsideSquares += r * r
      active++
    } else if (r > 0) {
      wins++
      active++
    }
    equity *= 1 + r
    if (equity > peak) peak = equity
    else if (equity < peak * worstRatio) worstRatio = equity / peak // divides only on a new worst drawdown
  }
  const mean = shift + shiftedSum / n
  const variance = n > 1 ? Math.max(0, (shiftedSquares - (shiftedSum * shiftedSum) / n) / (n - 1)) : 0
  const std = Math.sqrt(variance)
  const downside = Math.sqrt(downsideSquares / n)
  const annualiser = Math.sqrt(periodsPerYear)
  return {
    n_periods: n,
    mean_pnl: mean,
    volatility: std * annualiser,
    sharpe: std > 0 ? (mean / std) * annualiser : 0,
    sortino: downside > 0 ? (mean / downside) * annualiser : 0,
    max_drawdown: 1 - worstRatio,
    win_rate: active > 0 ? wins / active : 0,
    total_return: equity - 1,
  }
}

export const sharpeRatio = (returns: Float64Array, periodsPerYear = TRADING_DAYS_PER_YEAR, from = 0, to = returns.length): number =>
  returnMetrics(returns, periodsPerYear, from, to).sharpe

export const sortinoRatio = (returns: Float64Array, periodsPerYear = TRADING_DAYS_PER_YEAR, from = 0, to = returns.length): number =>
  returnMetrics(returns, periodsPerYear, from, to).sortino

export const maxDrawdown = (returns: Float64Array, from = 0, to = returns.length): number =>
  returnMetrics(returns, TRADING_DAYS_PER_YEAR, from, to).max_drawdown

export const winRate = (returns: Float64Array, from = 0, to = returns.length): number =>
  returnMetrics(returns, TRADING_DAYS_PER_YEAR, from, to).win_rate

export const totalReturn = (returns: Float64Array, from = 0, to = returns.length): number =>
  returnMetrics(returns, TRADING_DAYS_PER_YEAR, from, to).total_return

/** Plain mean of series[from..to); 0 for an empty range. Used for turnover per period. */
export function meanOf(series: Float64Array, from = 0, to = series.length): number {
  if (to <= from) return 0
  let sum = 0
  for (let t = from; t < to; t++) sum += series[t]
  return sum / (to - from)
}

/** Mean and sample standard deviation (n - 1) of a few numbers, e.g. per-fold Sharpe ratios; std is 0 for fewer than 2. */
export function meanAndStd(values: ArrayLike<number>): {mean: number; std: number} {
  const n = values.length
  if (n === 0) return {mean: 0, std: 0}
  let sum = 0
  for (let i = 0; i < n; i++) sum += values[i]
  const mean = sum / n
  if (n < 2) return {mean, std: 0}
  let squares = 0
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2
  return {mean, std: Math.sqrt(squares / (n - 1))}
}
