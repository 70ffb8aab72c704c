import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import type {PriceTable} from '../data/price-file.js'

/**
 * Altered copies of a runner's price data. `closes` are the validated prices of
 * the table's return column (price-file.ts picks it: the adjusted close when
 * there is one).
 */

export interface ReturnVariant {
  /** shuffle the daily returns (seeded); without a seed their order is kept */
  seed?: number
  /**
   * subtract the mean daily return first: on a copy without drift no exposure
   * earns anything on average, so what a strategy earns there is timing alone
   */
  demean?: boolean
}

/**
 * A copy whose daily returns of the return column are shuffled and/or
 * demeaned: the same volatility and fat tails, no real temporal pattern left
 * when shuffled. Prices are rebuilt from the first one; every other price
 * column (open, high, low, close) keeps its ratio to its day's reference price,
 * so the copy stays consistent and every spelling of the header is altered alike.
 */
export function alterReturns(table: PriceTable, closes: Float64Array, variant: ReturnVariant): PriceTable {
  return returnAlterations(table, closes)(variant)
}

/**
 * alterReturns for many variants of one table: its price cells are read as
 * numbers once, not once per copy (the permutation check makes hundreds).
 */
export function returnAlterations(table: PriceTable, closes: Float64Array): (variant: ReturnVariant) => PriceTable {
  const n = closes.length
  const priceColumns = table.columns.prices
  const prices = priceColumns.map((c) => Float64Array.from(table.rows.slice(0, n), (row) => Number(row[c])))
  return (variant) => {
    const returns = new Float64Array(Math.max(0, n - 1))
    for (let t = 1; t < n; t++) returns[t - 1] = closes[t]! / closes[t - 1]! - 1
    if (variant.demean && returns.length > 0) {
      let sum = 0
      for (const r of returns) sum += r
      const mean = sum / returns.length
      for (let i = 0; i < returns.length; i++) returns[i] -= mean
    }
    if (variant.seed !== undefined) {
      const rng = mersenne(variant.seed >>> 0)
      for (let i = returns.length - 1; i > 0; i--) {
        const j = unsafeUniformIntDistribution(0, i, rng)
        const swap = returns[i]!
        returns[i] = returns[j]!
        returns[j] = swap
      }
    }
    const rows = table.rows.map((row) => [...row])
    let rebuilt = closes[0]!
    for (let t = 0; t < n; t++) {
      if (t > 0) rebuilt *= 1 + returns[t - 1]!
      const scale = rebuilt / closes[t]!
      for (let k = 0; k < priceColumns.length; k++) rows[t]![priceColumns[k]!] = (prices[k]![t]! * scale).toPrecision(12)
    }
    return {...table, rows}
  }
}

/** True when the copy's return column differs from the original somewhere: an alteration that changed nothing proves nothing. */
export function differs(copy: PriceTable, original: PriceTable): boolean {
  const c = original.columns.close
  return copy.rows.some((row, t) => Number(row[c]) !== Number(original.rows[t]![c]))
}
