import * as z from 'zod'
import {positionBuffer, type Strategy} from './strategy.js'

/**
 * Volatility targeting, an overlay: runs a base strategy and scales its position
 * by target_vol / realised_vol, so the book runs at roughly `target_vol`
 * annualised volatility whatever the market's current regime, capped at
 * `max_leverage`.
 *
 * realised_vol at bar t is the sample standard deviation (n - 1) of the last
 * `vol_window` simple returns up to and including bar t, times
 * sqrt(periods_per_year). Flat until `vol_window` returns exist. A market that
 * did not move at all gets the cap.
 *
 * Its parameters are flat, beside the base strategy's own ones
 * (`{base: "momentum", lookback: 120, target_vol: 0.1}`), so a sweep can vary
 * both with one grid.
 */
export const VolTargetOwnParams = z.object({
  base: z.string().default('momentum'),
  target_vol: z.number().positive().default(0.15),
  vol_window: z.int().min(2).default(20),
  max_leverage: z.number().positive().default(2),
  periods_per_year: z.number().positive().default(252),
})
export type VolTargetOwnParams = z.output<typeof VolTargetOwnParams>
export type VolTargetParams = VolTargetOwnParams & {readonly baseParams: unknown}

/**
 * Multiply `positions` (the base strategy's, in place) by the target-vol scale
 * computed from `closes`; returns `positions`.
 */
export function scaleToTargetVol(closes: Float64Array, positions: Float64Array, params: VolTargetOwnParams): Float64Array {
  const {target_vol: targetVol, vol_window: window, max_leverage: maxLeverage, periods_per_year: periodsPerYear} = params
  const n = closes.length
  // no bar has `window` returns before it: flat throughout (and no ring of a window longer than the history to allocate)
  if (window >= n) return positions.fill(0)
  // the last returns in the window (a few hundred bytes: allocating it per call costs nothing next to the loop)
  const ring = new Float64Array(window)
  // compare variances instead of volatilities: one sqrt per bar fewer
  const targetVariance = (targetVol * targetVol) / periodsPerYear
  positions.fill(0, 0, Math.min(window, n))
  let sum = 0
  let sumOfSquares = 0
  let slot = 0
  for (let t = 1; t < n; t++) {
    const ret = closes[t] / closes[t - 1] - 1
    if (t > window) {
      const leaving = ring[slot]
      sum -= leaving
      sumOfSquares -= leaving * leaving
    }
    ring[slot] = ret
    slot = slot + 1 === window ? 0 : slot + 1
    sum += ret
    sumOfSquares += ret * ret
    if (t < window) continue
    const variance = (sumOfSquares - (sum * sum) / window) / (window - 1)
    const scale = variance > 0 ? Math.min(maxLeverage, Math.sqrt(targetVariance / variance)) : maxLeverage
    positions[t] *= scale
  }
  return positions
}

/** The overlay over any of `bases` (it cannot wrap itself). */
export function volTargetStrategy(bases: Readonly<Record<string, Strategy<any>>>): Strategy<VolTargetParams> {
  const baseNames = Object.keys(bases)
  const params = z.looseObject(VolTargetOwnParams.shape).transform((raw, ctx): VolTargetParams => {
    const own = VolTargetOwnParams.parse(raw)
    // an own key only: "toString" or "__proto__" name what every object inherits, not a strategy
    const base = Object.hasOwn(bases, own.base) ? bases[own.base] : undefined
    if (base === undefined) {
      ctx.addIssue({code: 'custom', path: ['base'], message: `"${own.base}" is not a base strategy; one of ${baseNames.join(', ')}`})
      return z.NEVER
    }
    const baseParams = base.params.safeParse(raw)
    if (!baseParams.success) {
      for (const issue of baseParams.error.issues) ctx.addIssue({code: 'custom', path: issue.path, message: issue.message})
      return z.NEVER
    }
    return {...own, baseParams: baseParams.data}
  })
  return {
    name: 'vol-target',
    summary: `scales a base strategy (${baseNames.join(', ')}) to a target annualised volatility`,
    params,
    paramNames: Object.keys(VolTargetOwnParams.shape),
    positions(closes, p, out) {
      const positions = bases[p.base].positions(closes, p.baseParams, positionBuffer(closes, out))
      return scaleToTargetVol(closes, positions, p)
    },
  }
}
