import * as z from 'zod'
import {positionBuffer, type Strategy} from './strategy.js'

/**
 * Time-series momentum: long when the close is above the close `lookback` bars
 * ago, short when below, flat on a tie and until `lookback` bars of history exist.
 */
export const MomentumParams = z.object({
  lookback: z.int().min(1).default(60),
})
export type MomentumParams = z.output<typeof MomentumParams>

export function momentumPositions(closes: Float64Array, params: MomentumParams, out?: Float64Array): Float64Array {
  const positions = positionBuffer(closes, out)
  const {lookback} = params
  const n = closes.length
  positions.fill(0, 0, Math.min(lookback, n))
  for (let t = lookback; t < n; t++) {
    const now = closes[t]
    const then = closes[t - lookback]
    positions[t] = now > then ? 1 : now < then ? -1 : 0
  }
  return positions
}

export const momentum: Strategy<MomentumParams> = {
  name: 'momentum',
  summary: 'long when the close is above the close `lookback` bars ago, short when below',
  params: MomentumParams,
  paramNames: Object.keys(MomentumParams.shape),
  positions: momentumPositions,
}
