import {InputError} from '../errors.js'
import {standardNormalQuantile} from './normal.js'
import {probabilisticSharpeRatio} from './psr.js'
import {requireFinite, requireInteger, requireSeries} from './validate.js'

/** γ, the Euler–Mascheroni constant. */
export const EULER_MASCHERONI = 0.5772156649015329

export interface ExpectedMaximumSharpeInput {
  /** Number of independent trials N (every configuration tried, rejected ones too). */
  nTrials: number
  /** Variance of the trials' per-period Sharpe ratios, V[{SR_n}]. */
  varianceOfTrialSharpes: number
}

/**
 * SR0, the expected maximum Sharpe ratio among N trials whose true Sharpe ratio is
 * zero (the False Strategy Theorem; Bailey, Borwein, López de Prado & Zhu 2014;
 * Bailey & López de Prado 2014, eq. 2):
 *
 *   SR0 = sqrt(V) · ((1 - γ)·Φ⁻¹(1 - 1/N) + γ·Φ⁻¹(1 - 1/(N·e)))
 *
 * With a single trial nothing was selected, so the expected maximum is the mean, 0;
 * the closed form is an extreme-value approximation that diverges as N → 1.
 */
export function expectedMaximumSharpe(input: ExpectedMaximumSharpeInput): number {
  const nTrials = requireInteger(input.nTrials, 'nTrials', 1)
  const variance = requireFinite(input.varianceOfTrialSharpes, 'varianceOfTrialSharpes')
  if (variance < 0) {
    throw new InputError(`a variance cannot be negative, got ${variance}`, {
      field: 'varianceOfTrialSharpes',
      fix: "give the variance (not a signed figure) of the trials' Sharpe ratios",
    })
  }
  if (nTrials === 1) return 0
  const spread =
    (1 - EULER_MASCHERONI) * standardNormalQuantile(1 - 1 / nTrials) + EULER_MASCHERONI * standardNormalQuantile(1 - 1 / (nTrials * Math.E))
  return Math.sqrt(variance) * spread
}

export interface DeflatedSharpeInput extends ExpectedMaximumSharpeInput {
  /** Observed per-period Sharpe ratio of the selected trial. */
  sharpe: number
  /** Number of return observations behind `sharpe`. */
  nObs: number
  /** Skewness of the selected trial's returns; default 0. */
  skewness?: number
  /** Plain kurtosis of the selected trial's returns; default 3. */
  kurtosis?: number
}

export interface DeflatedSharpeResult {
  /** Probability that the true Sharpe ratio exceeds what selection alone would produce. */
  dsr: number
  /** The per-period benchmark: expected maximum Sharpe ratio of N unskilled trials. */
  sr0: number
}

/**
 * Deflated Sharpe Ratio (Bailey & López de Prado 2014): the PSR measured against
 * SR0 instead of zero, which corrects the selected trial's Sharpe ratio for the
 * number of trials it was picked from.
 */
export function deflatedSharpeRatio(input: DeflatedSharpeInput): DeflatedSharpeResult {
  const sr0 = expectedMaximumSharpe(input)
  const dsr = probabilisticSharpeRatio({
    sharpe: input.sharpe,
    benchmark: sr0,
    nObs: input.nObs,
    skewness: input.skewness,
    kurtosis: input.kurtosis,
  })
  return {dsr, sr0}
}

/**
 * V[{SR_n}] from the trials' Sharpe ratios, with the n - 1 denominator: the trials
 * are a sample of the configurations the research could have tried.
 */
export function varianceOfSharpeRatios(sharpes: readonly number[]): number {
  requireSeries(sharpes, 'sharpes', 2)
  let sum = 0
  for (const s of sharpes) sum += s
  const mu = sum / sharpes.length
  let ss = 0
  for (const s of sharpes) ss += (s - mu) * (s - mu)
  return ss / (sharpes.length - 1)
}
