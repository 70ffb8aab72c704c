/**
 * From positions to per-period strategy returns.
 *
 * Timing, the one rule that keeps a backtest honest: bar t's return is
 * closes[t] / closes[t-1] - 1, and the position decided at the close of bar t-1
 * is the one that earns it. positions[t] itself is only paid from bar t+1 on, so
 * nothing a strategy learns at the close of bar t can reach bar t's P&L.
 *
 * Costs: changing the position by Δ at the close of bar t-1 costs
 * cost_bps / 10_000 * |Δ|, charged to bar t, the first period the new position
 * is held. The book starts flat, so entering the first position is a trade too.
 *
 * Index 0 of every returned series is 0: no position was held before the first close.
 */

/** Simple returns of the asset: out[0] = 0, out[t] = closes[t] / closes[t-1] - 1. */
export function assetReturns(closes: Float64Array, out: Float64Array = new Float64Array(closes.length)): Float64Array {
  out[0] = 0
  for (let t = 1; t < closes.length; t++) out[t] = closes[t] / closes[t - 1] - 1
  return out
}

/**
 * Net strategy returns: out[t] = positions[t-1] * asset[t] - cost * |positions[t-1] - positions[t-2]|
 * with positions[-1] = 0 and cost = costBps / 10_000.
 */
export function strategyReturns(
  asset: Float64Array,
  positions: Float64Array,
  costBps: number,
  out: Float64Array = new Float64Array(asset.length),
): Float64Array {
  if (positions.length !== asset.length) throw new RangeError(`${positions.length} positions for ${asset.length} returns`)
  const costPerUnit = costBps / 10_000
  out[0] = 0
  let held = 0
  for (let t = 1; t < asset.length; t++) {
    const previous = held
    held = positions[t - 1]
    const traded = held > previous ? held - previous : previous - held
    out[t] = held * asset[t] - costPerUnit * traded
  }
  return out
}

/**
 * Units of position traded per bar, charged in the same bar as strategyReturns
 * charges them: out[t] = |positions[t-1] - positions[t-2]|, out[0] = 0.
 */
export function turnoverSeries(positions: Float64Array, out: Float64Array = new Float64Array(positions.length)): Float64Array {
  out[0] = 0
  let held = 0
  for (let t = 1; t < positions.length; t++) {
    const previous = held
    held = positions[t - 1]
    out[t] = held > previous ? held - previous : previous - held
  }
  return out
}
