import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import type {Table} from './csv.js'

const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'adj_close']

/** The data up to (not including) row `cut`: what the strategy would have seen then. */
export const truncateTable = (table: Table, cut: number): Table => ({header: table.header, rows: table.rows.slice(0, cut)})

/**
 * A copy whose daily close-to-close returns are shuffled (seeded): the same
 * returns, so the same volatility and fat tails, but no real temporal pattern
 * left. Prices are rebuilt from the first close; open/high/low keep their ratio
 * to their day's close, so every column stays consistent.
 */
export function shuffleReturns(table: Table, seed: number): Table {
  const closeCol = table.header.indexOf('close')
  if (closeCol === -1 || table.rows.length < 3) return table
  const closes = table.rows.map((r) => Number(r[closeCol]))
  const growth = closes.slice(1).map((c, i) => c / closes[i]!)
  const rng = mersenne(seed >>> 0)
  for (let i = growth.length - 1; i > 0; i--) {
    const j = unsafeUniformIntDistribution(0, i, rng)
    ;[growth[i], growth[j]] = [growth[j]!, growth[i]!]
  }
  const rebuilt = [closes[0]!]
  for (const g of growth) rebuilt.push(rebuilt[rebuilt.length - 1]! * g)
  const priceCols = table.header.map((h, i) => (PRICE_COLUMNS.includes(h.toLowerCase()) ? i : -1)).filter((i) => i >= 0)
  const rows = table.rows.map((row, t) => {
    const scale = rebuilt[t]! / closes[t]!
    const out = [...row]
    for (const c of priceCols) out[c] = (Number(row[c]) * scale).toPrecision(10)
    return out
  })
  return {header: table.header, rows}
}
