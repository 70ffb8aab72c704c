import * as z from 'zod'
import {positionBuffer, type Strategy} from './strategy.js'

/**
 * Moving-average crossover: long while the simple moving average of the last
 * `fast` closes is above that of the last `slow` closes, short while below, flat
 * until `slow` closes exist.
 */
export const MaCrossoverParams = z
  .object({
    fast: z.int().min(1).default(20),
    slow: z.int().min(2).default(100),
  })
  .refine((p) => p.fast < p.slow, {message: 'fast must be shorter than slow', path: ['fast']})
export type MaCrossoverParams = z.output<typeof MaCrossoverParams>

// running sums drift by a few ulps over thousands of bars; a difference this small is a tie, not a signal
const TIE_TOLERANCE = 1e-12

export function maCrossoverPositions(closes: Float64Array, params: MaCrossoverParams, out?: Float64Array): Float64Array {
  const positions = positionBuffer(closes, out)
  const {fast, slow} = params
  const n = closes.length
  let fastSum = 0
  let slowSum = 0
  for (let t = 0; t < n; t++) {
    const close = closes[t]
    fastSum += close
    slowSum += close
    if (t >= fast) fastSum -= closes[t - fast]
    if (t >= slow) slowSum -= closes[t - slow]
    if (t < slow - 1) {
      positions[t] = 0
      continue
    }
    // fastSum/fast vs slowSum/slow, cross-multiplied to avoid two divisions per bar
    const fastScaled = fastSum * slow
    const slowScaled = slowSum * fast
    const gap = fastScaled - slowScaled
    const tie = TIE_TOLERANCE * slowScaled
    positions[t] = gap > tie ? 1 : gap < -tie ? -1 : 0
  }
  return positions
}

export const maCrossover: Strategy<MaCrossoverParams> = {
  name: 'ma-crossover',
  summary: 'long while the `fast` moving average is above the `slow` one, short while below',
  params: MaCrossoverParams,
  paramNames: Object.keys(MaCrossoverParams.shape),
  positions: maCrossoverPositions,
}
