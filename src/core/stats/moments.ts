import {InputError} from '../errors.js'
import {requireSeries} from './validate.js'

/**
 * Sample moments in the conventions of Bailey & López de Prado: the standard
 * deviation uses the n - 1 denominator; skewness and kurtosis are the plain
 * moment ratios m3 / m2^1.5 and m4 / m2² (population form, as scipy's defaults),
 * so the kurtosis of a normal distribution is 3, not 0.
 */

/**
 * A standard deviation this small next to the size of the values is rounding
 * noise, not variation: a series of equal returns computed from prices carries
 * spreads of ~1e-17 that would give a Sharpe ratio of 1e15. Below
 * max(ABSOLUTE, RELATIVE * sqrt(mean² + std²)) the spread counts as zero, and so
 * does every ratio built on it.
 */
export const RELATIVE_STD_TOLERANCE = 1e-9
export const ABSOLUTE_STD_TOLERANCE = 1e-14
export const negligibleSpread = (std: number, mean: number): boolean =>
  !(std > Math.max(ABSOLUTE_STD_TOLERANCE, RELATIVE_STD_TOLERANCE * Math.hypot(mean, std)))

/** Per-period Sharpe ratio that is 0 (not NaN, not 1e15) when the returns do not vary or are fewer than 2. */
export function sharpeOrZero(values: readonly number[]): number {
  if (values.length < 2) return 0
  const {mean: mu, m2} = centralMoments(values)
  const std = Math.sqrt((m2 * values.length) / (values.length - 1))
  return negligibleSpread(std, mu) ? 0 : mu / std
}

export interface Moments {
  n: number
  mean: number
  /** Sample standard deviation (n - 1 denominator). */
  std: number
  skewness: number
  /** Plain (non-excess) kurtosis: 3 for a normal distribution. */
  kurtosis: number
}

export function mean(values: readonly number[]): number {
  requireSeries(values, 'returns', 1)
  let sum = 0
  for (const x of values) sum += x
  return sum / values.length
}

export function standardDeviation(values: readonly number[]): number {
  requireSeries(values, 'returns', 2)
  const {m2} = centralMoments(values)
  return Math.sqrt((m2 * values.length) / (values.length - 1))
}

export function skewness(values: readonly number[]): number {
  requireSeries(values, 'returns', 2)
  const {mean: mu, m2, m3} = centralMoments(values)
  requireVariation(m2, mu)
  return m3 / m2 ** 1.5
}

export function kurtosis(values: readonly number[]): number {
  requireSeries(values, 'returns', 2)
  const {mean: mu, m2, m4} = centralMoments(values)
  requireVariation(m2, mu)
  return m4 / (m2 * m2)
}

export function moments(values: readonly number[]): Moments {
  requireSeries(values, 'returns', 2)
  const {mean, m2, m3, m4} = centralMoments(values)
  requireVariation(m2, mean)
  const n = values.length
  return {n, mean, std: Math.sqrt((m2 * n) / (n - 1)), skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2)}
}

/** Population central moments, two-pass so a large mean does not swamp the deviations. */
function centralMoments(values: readonly number[]): {mean: number; m2: number; m3: number; m4: number} {
  const n = values.length
  let sum = 0
  for (const x of values) sum += x
  const mu = sum / n
  let s2 = 0
  let s3 = 0
  let s4 = 0
  for (const x of values) {
    const d = x - mu
    const d2 = d * d
    s2 += d2
    s3 += d2 * d
    s4 += d2 * d2
  }
  return {mean: mu, m2: s2 / n, m3: s3 / n, m4: s4 / n}
}

function requireVariation(m2: number, mean: number): void {
  // returns near the largest double (1e308) overflow the sums: Infinity or NaN is no "never vary"
  if (!Number.isFinite(m2) || !Number.isFinite(mean)) {
    throw new InputError('the returns are too large to describe: their mean or variance overflows', {
      field: 'returns',
      fix: 'give returns as fractions of the capital (0.01 for 1%), not prices or amounts',
    })
  }
  if (negligibleSpread(Math.sqrt(m2), mean)) {
    throw new InputError('the returns never vary, so their Sharpe ratio, skewness and kurtosis are undefined', {
      field: 'returns',
      fix: 'check that the series holds the strategy returns (a strategy that never trades has no Sharpe ratio)',
    })
  }
}
