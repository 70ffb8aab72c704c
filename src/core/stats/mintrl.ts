import {InputError} from '../errors.js'
import {standardNormalQuantile} from './normal.js'
import {sharpeVarianceFactor} from './sharpe.js'
import {requireFinite, requireProbability} from './validate.js'

export interface MinimumTrackRecordInput {
  /** Observed per-period Sharpe ratio. */
  sharpe: number
  /** Per-period Sharpe ratio to beat; default 0. */
  benchmark?: number
  /** Default 0 (normal). */
  skewness?: number
  /** Plain kurtosis; default 3 (normal). */
  kurtosis?: number
  /** Probability the PSR must reach; default 0.95. */
  confidence?: number
}

/**
 * Minimum Track Record Length (Bailey & López de Prado 2012, eq. 11): the number of
 * observations, in the returns' own period, after which PSR(benchmark) reaches the
 * confidence level if the observed moments persist.
 *
 *   MinTRL = 1 + (1 - γ3·SR + (γ4 - 1)/4·SR²) · (Φ⁻¹(confidence) / (SR - SR*))²
 *
 * It is PSR solved for T, so it is fractional; round up for a count of periods.
 */
export function minimumTrackRecordLength(input: MinimumTrackRecordInput): number {
  const sharpe = requireFinite(input.sharpe, 'sharpe')
  const benchmark = requireFinite(input.benchmark ?? 0, 'benchmark')
  const confidence = requireProbability(input.confidence ?? 0.95, 'confidence')
  if (confidence <= 0.5) {
    // below one half the PSR of any positive edge already exceeds it at T = 2
    throw new InputError(`a confidence of ${confidence} is no better than a coin toss`, {
      field: 'confidence',
      fix: 'give a confidence level above 0.5, such as 0.95',
    })
  }
  if (!(sharpe > benchmark)) {
    throw new InputError(`the Sharpe ratio ${sharpe} does not exceed the benchmark ${benchmark}, so no track record is long enough`, {
      field: 'sharpe',
      fix: 'MinTRL exists only for an observed Sharpe ratio above the benchmark; lower the benchmark or check the Sharpe ratio',
    })
  }
  const factor = sharpeVarianceFactor(sharpe, input.skewness ?? 0, input.kurtosis ?? 3)
  const z = standardNormalQuantile(confidence)
  const mintrl = 1 + factor * (z / (sharpe - benchmark)) ** 2
  // an edge below ~1e-154 squares to 0 or overflows the quotient: Infinity would print as "Infinity", and as null in JSON
  if (!Number.isFinite(mintrl)) {
    throw new InputError(
      `the Sharpe ratio ${sharpe} is so close to the benchmark ${benchmark} that no track record length can be computed`,
      {
        field: 'sharpe',
        fix: 'check the Sharpe ratio and the benchmark (per period, or annualised with --periods-per-year): their difference is below 1e-150',
      },
    )
  }
  return mintrl
}
