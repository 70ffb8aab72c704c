import {InputError} from '../errors.js'
import {moments} from './moments.js'
import {requireFinite, requireInteger, requireMoments} from './validate.js'

/**
 * The Sharpe ratio per period of observation, and its standard error when returns
 * are not normal. Annualising is the caller's explicit choice (periodsPerYear),
 * because PSR, DSR and MinTRL are all defined on the per-period ratio.
 */

export interface SharpeEstimate {
  /** Per-period Sharpe ratio: mean excess return over its sample standard deviation. */
  sharpe: number
  /** Standard error of the per-period Sharpe ratio under skewed, fat-tailed returns. */
  standardError: number
  nObs: number
  mean: number
  std: number
  skewness: number
  /** Plain kurtosis (3 for a normal distribution). */
  kurtosis: number
  /** Present only when periodsPerYear was given. */
  annualised?: {periodsPerYear: number; sharpe: number; standardError: number}
}

export interface SharpeOptions {
  /** Subtracted from every return before the ratio is taken; same period as the returns. */
  riskFreePerPeriod?: number
  periodsPerYear?: number
}

export function sharpeRatio(returns: readonly number[], options: SharpeOptions = {}): number {
  return estimateSharpe(returns, options).sharpe
}

export function estimateSharpe(returns: readonly number[], options: SharpeOptions = {}): SharpeEstimate {
  const riskFree = requireFinite(options.riskFreePerPeriod ?? 0, 'riskFreePerPeriod')
  const excess = riskFree === 0 ? returns : returns.map((r) => r - riskFree)
  const m = moments(excess)
  const sharpe = m.mean / m.std
  const standardError = sharpeStandardError({sharpe, nObs: m.n, skewness: m.skewness, kurtosis: m.kurtosis})
  const estimate: SharpeEstimate = {sharpe, standardError, nObs: m.n, mean: m.mean, std: m.std, skewness: m.skewness, kurtosis: m.kurtosis}
  if (options.periodsPerYear !== undefined) {
    const periodsPerYear = requirePeriodsPerYear(options.periodsPerYear)
    estimate.annualised = {
      periodsPerYear,
      sharpe: annualiseSharpe(sharpe, periodsPerYear),
      standardError: annualiseSharpe(standardError, periodsPerYear),
    }
  }
  return estimate
}

export interface SharpeMomentsInput {
  /** Per-period Sharpe ratio. */
  sharpe: number
  nObs: number
  /** Default 0 (normal). */
  skewness?: number
  /** Plain kurtosis; default 3 (normal). */
  kurtosis?: number
}

/**
 * 1 - γ3·SR + (γ4 - 1)/4·SR²: the variance of the Sharpe estimator times (T - 1)
 * for non-normal i.i.d. returns (Mertens 2002; Bailey & López de Prado 2012, eq. 3).
 * For normal returns it reduces to Lo's (2002) 1 + SR²/2.
 */
export function sharpeVarianceFactor(sharpe: number, skewness = 0, kurtosis = 3): number {
  requireFinite(sharpe, 'sharpe')
  requireMoments(skewness, kurtosis)
  const factor = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe
  // SR² overflows past ~1e154: the PSR would be Φ(∞/∞), NaN, printed as a probability
  if (!Number.isFinite(factor)) {
    throw new InputError(`the Sharpe ratio ${sharpe} is too large for its sampling variance to be computed`, {
      field: 'sharpe',
      fix: 'give the Sharpe ratio per period (or annualised with --periods-per-year); a per-period ratio above 1 is already extraordinary',
    })
  }
  if (!(factor > 0)) {
    throw new InputError(
      `skewness ${skewness}, kurtosis ${kurtosis} and Sharpe ratio ${sharpe} leave the Sharpe ratio no sampling variance`,
      {
        field: 'kurtosis',
        fix: 'check the moments; they describe a degenerate two-point distribution',
      },
    )
  }
  return factor
}

/** sqrt((1 - γ3·SR + (γ4 - 1)/4·SR²) / (T - 1)) */
export function sharpeStandardError(input: SharpeMomentsInput): number {
  const nObs = requireInteger(input.nObs, 'nObs', 2)
  return Math.sqrt(sharpeVarianceFactor(input.sharpe, input.skewness ?? 0, input.kurtosis ?? 3) / (nObs - 1))
}

/** Sharpe ratios scale with the square root of time under i.i.d. returns. */
export function annualiseSharpe(perPeriod: number, periodsPerYear: number): number {
  return perPeriod * Math.sqrt(requirePeriodsPerYear(periodsPerYear))
}

export function perPeriodSharpe(annualised: number, periodsPerYear: number): number {
  return annualised / Math.sqrt(requirePeriodsPerYear(periodsPerYear))
}

function requirePeriodsPerYear(periodsPerYear: number): number {
  requireFinite(periodsPerYear, 'periodsPerYear')
  if (!(periodsPerYear > 0)) {
    throw new InputError(`must be positive, got ${periodsPerYear}`, {
      field: 'periodsPerYear',
      fix: 'give the number of return periods in a year, e.g. 252 for trading days or 12 for months',
    })
  }
  return periodsPerYear
}
