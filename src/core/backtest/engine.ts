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

/** Where strategyReturns writes; each array has the length of the price series. */
export interface ReturnBuffers {
  /** after costs: positions[t-1] * asset[t] - cost * traded[t]; the gross return is net + cost * traded */
  readonly net: Float64Array
  /** units of position traded at the close of bar t-1 and charged to bar t: |positions[t-1] - positions[t-2]| */
  readonly traded: Float64Array
}

export const createReturnBuffers = (length: number): ReturnBuffers => ({net: new Float64Array(length), traded: new Float64Array(length)})

/**
 * Net strategy returns and the trades behind their costs, in one pass.
 * positions[-1] is 0 (the book starts flat).
 */
export function strategyReturns(
  asset: Float64Array,
  positions: Float64Array,
  costBps: number,
  out: ReturnBuffers = createReturnBuffers(asset.length),
): ReturnBuffers {
  if (positions.length !== asset.length) throw new RangeError(`${positions.length} positions for ${asset.length} returns`)
  const {net, traded} = out
  const costPerUnit = costBps / 10_000
  net[0] = 0
  traded[0] = 0
  let held = 0
  for (let t = 1; t < asset.length; t++) {
    const previous = held
    held = positions[t - 1]
    const trade = held > previous ? held - previous : previous - held
    traded[t] = trade
    net[t] = held * asset[t] - costPerUnit * trade
  }
  return out
}

/** Gross (before costs) returns from net ones: net[t] + cost * traded[t]. */
export function grossReturns(
  buffers: ReturnBuffers,
  costBps: number,
  out: Float64Array = new Float64Array(buffers.net.length),
): Float64Array {
  const {net, traded} = buffers
  const costPerUnit = costBps / 10_000
  for (let t = 0; t < net.length; t++) out[t] = net[t] + costPerUnit * traded[t]
  return out
}
