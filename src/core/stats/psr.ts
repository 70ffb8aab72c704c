import {InputError} from '../errors.js'
import {standardNormalCdf} from './normal.js'
import {sharpeVarianceFactor} from './sharpe.js'
import {requireFinite, requireInteger} from './validate.js'

export interface ProbabilisticSharpeInput {
  /** Observed per-period Sharpe ratio. */
  sharpe: number
  /** Per-period Sharpe ratio to beat; default 0. */
  benchmark?: number
  /** Number of return observations behind `sharpe`. */
  nObs: number
  /** Default 0 (normal). */
  skewness?: number
  /** Plain kurtosis; default 3 (normal). */
  kurtosis?: number
}

/**
 * Probabilistic Sharpe Ratio (Bailey & López de Prado 2012, "The Sharpe Ratio
 * Efficient Frontier", eq. 7): the probability that the true Sharpe ratio exceeds
 * the benchmark, given the observed one, the track record length and the returns'
 * skewness and kurtosis.
 *
 *   PSR(SR*) = Φ( (SR - SR*) · sqrt(T - 1) / sqrt(1 - γ3·SR + (γ4 - 1)/4·SR²) )
 *
 * The variance term is evaluated at the observed SR, as in the paper.
 */
export function probabilisticSharpeRatio(input: ProbabilisticSharpeInput): number {
  return standardNormalCdf(probabilisticSharpeStatistic(input))
}

/** The z-statistic inside Φ of the PSR; useful to report alongside the probability. */
export function probabilisticSharpeStatistic(input: ProbabilisticSharpeInput): number {
  const sharpe = requireFinite(input.sharpe, 'sharpe')
  const benchmark = requireFinite(input.benchmark ?? 0, 'benchmark')
  const nObs = requireInteger(input.nObs, 'nObs', 2)
  const factor = sharpeVarianceFactor(sharpe, input.skewness ?? 0, input.kurtosis ?? 3)
  const z = ((sharpe - benchmark) * Math.sqrt(nObs - 1)) / Math.sqrt(factor)
  // a benchmark near the largest double overflows the difference: z would print as Infinity, and as null in JSON
  if (!Number.isFinite(z)) {
    throw new InputError(`the benchmark ${benchmark} is too far from the Sharpe ratio ${sharpe} for a probability to be computed`, {
      field: 'benchmark',
      fix: 'give the benchmark Sharpe ratio per period (or annualised with --periods-per-year), e.g. 0 or 0.05',
    })
  }
  return z
}
