import {negligibleSpread} from '../stats/moments.js'

/**
 * Performance metrics of a per-period return series, over half-open ranges
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
 * - a period that loses more than the whole equity (a return at or below -100%, from
 *   leverage or costs) ruins the book: equity stays 0 from then on, so max_drawdown
 *   is 1 and total_return -1, never a fall of more than 100% or a recovery from below 0;
 * - win_rate is the share of positive periods among periods with a non-zero return,
 *   so days spent flat neither win nor lose;
 * - a ratio whose denominator is 0 (no variation, no losing period) is undefined and
 *   reported as 0, because JSON has no Infinity and a gate must never see NaN.
 */

export const TRADING_DAYS_PER_YEAR = 252

/**
 * Sums of (r - shift) and (r - shift)^2 over some periods. The shift (any value
 * near the data, e.g. its first element) keeps the variance exact for a constant
 * series and free of cancellation; windows that share a shift add up, which is
 * how walk-forward pools its folds without a second pass.
 */
export interface Moments {
  n: number
  shift: number
  sum: number
  squares: number
}

export function momentsOf(returns: Float64Array, from = 0, to = returns.length, shift = returns[from] ?? 0): Moments {
  let sum = 0
  let squares = 0
  for (let t = from; t < to; t++) {
    const d = returns[t] - shift
    sum += d
    squares += d * d
  }
  return {n: Math.max(0, to - from), shift, sum, squares}
}

/** The moments of the concatenated windows; all must share one shift. */
export function pooledMoments(parts: readonly Moments[]): Moments {
  const pooled = {n: 0, shift: parts[0]?.shift ?? 0, sum: 0, squares: 0}
  for (const part of parts) {
    if (part.shift !== pooled.shift) throw new RangeError('moments with different shifts cannot be pooled')
    pooled.n += part.n
    pooled.sum += part.sum
    pooled.squares += part.squares
  }
  return pooled
}

export const meanFromMoments = (m: Moments): number => (m.n > 0 ? m.shift + m.sum / m.n : 0)

/**
 * Sample standard deviation (n - 1); 0 for fewer than two periods, and 0 when
 * it is rounding noise next to the returns' size (stats' negligibleSpread), so
 * a constant series has a Sharpe ratio of 0, not 1e15.
 */
export function stdFromMoments(m: Moments): number {
  if (m.n < 2) return 0
  const std = Math.sqrt(Math.max(0, (m.squares - (m.sum * m.sum) / m.n) / (m.n - 1)))
  return negligibleSpread(std, meanFromMoments(m)) ? 0 : std
}

export function sharpeFromMoments(m: Moments, periodsPerYear = TRADING_DAYS_PER_YEAR): number {
  const std = stdFromMoments(m)
  return std > 0 ? (meanFromMoments(m) / std) * Math.sqrt(periodsPerYear) : 0
}

/** The metrics that depend on the order of the returns, not only on their moments. */
export interface PathMetrics {
  max_drawdown: number
  win_rate: number
  total_return: number
  /** sqrt(sum(min(r, 0)^2) / n), per period */
  downside_deviation: number
}

export function pathMetrics(returns: Float64Array, from = 0, to = returns.length): PathMetrics {
  const n = to - from
  let downsideSquares = 0
  let wins = 0
  let active = 0
  let equity = 1
  let peak = 1
  let worstRatio = 1 // lowest equity / peak so far
  for (let t = from; t < to; t++) {
    const r = returns[t]
    if (r < 0) {
      downsideSquares += r * r
      active++
    } else if (r > 0) {
      wins++
      active++
    }
    equity *= 1 + r
    if (equity > peak) peak = equity
    else if (equity < peak * worstRatio) {
      // divides only on a new worst drawdown; at or below 0 the book is ruined and stays at 0 (0 times any return is 0)
      if (equity > 0) worstRatio = equity / peak
      else {
        equity = 0
        worstRatio = 0
      }
    }
  }
  return {
    max_drawdown: 1 - worstRatio,
    win_rate: active > 0 ? wins / active : 0,
    total_return: equity - 1,
    downside_deviation: n > 0 ? Math.sqrt(downsideSquares / n) : 0,
  }
}

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

/** The metrics of returns[from..to) given their moments and path figures (computed by the caller, perhaps pooled). */
export function combineMetrics(moments: Moments, path: PathMetrics, periodsPerYear = TRADING_DAYS_PER_YEAR): ReturnMetrics {
  const mean = meanFromMoments(moments)
  const annualiser = Math.sqrt(periodsPerYear)
  return {
    n_periods: moments.n,
    mean_pnl: mean,
    volatility: stdFromMoments(moments) * annualiser,
    sharpe: sharpeFromMoments(moments, periodsPerYear),
    sortino: path.downside_deviation > 0 ? (mean / path.downside_deviation) * annualiser : 0,
    max_drawdown: path.max_drawdown,
    win_rate: path.win_rate,
    total_return: path.total_return,
  }
}

/** Every metric of returns[from..to). */
export function returnMetrics(returns: Float64Array, periodsPerYear = TRADING_DAYS_PER_YEAR, from = 0, to = returns.length): ReturnMetrics {
  return combineMetrics(momentsOf(returns, from, to), pathMetrics(returns, from, to), periodsPerYear)
}

export const sharpeRatio = (returns: Float64Array, periodsPerYear = TRADING_DAYS_PER_YEAR, from = 0, to = returns.length): number =>
  sharpeFromMoments(momentsOf(returns, from, to), periodsPerYear)

export const sortinoRatio = (returns: Float64Array, periodsPerYear = TRADING_DAYS_PER_YEAR, from = 0, to = returns.length): number =>
  returnMetrics(returns, periodsPerYear, from, to).sortino

export const maxDrawdown = (returns: Float64Array, from = 0, to = returns.length): number => pathMetrics(returns, from, to).max_drawdown

export const winRate = (returns: Float64Array, from = 0, to = returns.length): number => pathMetrics(returns, from, to).win_rate

export const totalReturn = (returns: Float64Array, from = 0, to = returns.length): number => pathMetrics(returns, from, to).total_return

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
