import * as z from 'zod'
import {positionBuffer, type Strategy} from './strategy.js'

/**
 * RSI mean reversion: long while Wilder's RSI(`period`) is below `lower`
 * (oversold), short while it is above `upper` (overbought), flat in between and
 * until `period` price changes exist. The position is re-decided every bar from
 * the RSI alone, so it carries no hidden state.
 *
 * Wilder's RSI: the first average gain and loss are plain means of the first
 * `period` changes; after that avg = (avg * (period - 1) + today) / period.
 * RSI = 100 * avgGain / (avgGain + avgLoss), and 50 when nothing moved.
 */
export const RsiReversionParams = z
  .object({
    period: z.int().min(1).default(14),
    lower: z.number().gt(0).lt(100).default(30),
    upper: z.number().gt(0).lt(100).default(70),
  })
  .refine((p) => p.lower < p.upper, {message: 'lower must be below upper', path: ['lower']})
export type RsiReversionParams = z.output<typeof RsiReversionParams>

export function rsiReversionPositions(closes: Float64Array, params: RsiReversionParams, out?: Float64Array): Float64Array {
  const positions = positionBuffer(closes, out)
  const {period, lower, upper} = params
  const n = closes.length
  positions.fill(0, 0, Math.min(period, n))
  // (avg * (period - 1) + x) / period as avg * keep + x * weight: a division in the loop-carried
  // chain would cost more than everything else in the loop
  const weight = 1 / period
  const keep = (period - 1) / period
  let avgGain = 0
  let avgLoss = 0
  for (let t = 1; t < n; t++) {
    const change = closes[t] - closes[t - 1]
    const gain = Math.max(change, 0)
    const loss = change < 0 ? -change : 0
    if (t <= period) {
      // seeding: plain means of the first `period` changes
      avgGain += gain * weight
      avgLoss += loss * weight
      if (t < period) continue
    } else {
      avgGain = avgGain * keep + gain * weight
      avgLoss = avgLoss * keep + loss * weight
    }
    // RSI < lower  <=>  100 * avgGain < lower * (avgGain + avgLoss), and the same for upper;
    // when nothing moved both sides are 0 and the RSI counts as 50
    const moved = avgGain + avgLoss
    const scaledGain = 100 * avgGain
    if (moved === 0) positions[t] = lower > 50 ? 1 : upper < 50 ? -1 : 0
    else positions[t] = scaledGain < lower * moved ? 1 : scaledGain > upper * moved ? -1 : 0
  }
  return positions
}

export const rsiReversion: Strategy<RsiReversionParams> = {
  name: 'rsi-reversion',
  summary: "long while Wilder's RSI(`period`) is below `lower`, short while above `upper`",
  params: RsiReversionParams,
  paramNames: Object.keys(RsiReversionParams.shape),
  positions: rsiReversionPositions,
}
