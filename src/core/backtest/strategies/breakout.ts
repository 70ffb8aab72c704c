import * as z from 'zod'
import {positionBuffer, type Strategy} from './strategy.js'

/**
 * Donchian channel breakout: go long when the close rises above the highest
 * close of the previous `window` bars, short when it falls below the lowest, and
 * otherwise keep the last position (the classic turtle rule). Flat until
 * `window` bars of history exist. The channel excludes the current bar, or no
 * close could ever break it.
 */
export const BreakoutParams = z.object({
  window: z.int().min(1).default(55),
})
export type BreakoutParams = z.output<typeof BreakoutParams>

export function breakoutPositions(closes: Float64Array, params: BreakoutParams, out?: Float64Array): Float64Array {
  const positions = positionBuffer(closes, out)
  const {window} = params
  const n = closes.length
  // monotonic deques of bar indices, one allocation each per call
  const maxQueue = new Int32Array(n)
  const minQueue = new Int32Array(n)
  // each queue holds the indices of the window [t - window, t - 1] whose closes could still be its max (min),
  // in decreasing (increasing) close order, so the front is the channel's edge: O(1) amortised per bar
  let maxHead = 0
  let maxTail = 0
  let minHead = 0
  let minTail = 0
  let position = 0
  for (let t = 0; t < n; t++) {
    const close = closes[t]
    if (t >= window) {
      const oldest = t - window
      while (maxQueue[maxHead] < oldest) maxHead++
      while (minQueue[minHead] < oldest) minHead++
      if (close > closes[maxQueue[maxHead]]) position = 1
      else if (close < closes[minQueue[minHead]]) position = -1
    }
    positions[t] = position
    while (maxTail > maxHead && closes[maxQueue[maxTail - 1]] <= close) maxTail--
    maxQueue[maxTail++] = t
    while (minTail > minHead && closes[minQueue[minTail - 1]] >= close) minTail--
    minQueue[minTail++] = t
  }
  return positions
}

export const breakout: Strategy<BreakoutParams> = {
  name: 'breakout',
  summary: 'Donchian breakout: long above the highest close of the last `window` bars, short below the lowest',
  params: BreakoutParams,
  paramNames: Object.keys(BreakoutParams.shape),
  positions: breakoutPositions,
}
