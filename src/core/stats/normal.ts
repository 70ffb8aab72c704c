import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'

/** The standard normal distribution, from stdlib rather than a hand-rolled approximation. */

/** Φ(x) */
export function standardNormalCdf(x: number): number {
  return normalCdf(x, 0, 1)
}

/** Φ⁻¹(p) */
export function standardNormalQuantile(p: number): number {
  return normalQuantile(p, 0, 1)
}
