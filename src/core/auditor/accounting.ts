import type {PriceTable} from '../data/price-file.js'
import type {RunnerAccounting} from '../schemas/verdict.js'

/** The one convention rigor can recompute: the kit's (README, "The runner protocol"). */
export const VERIFIABLE_CONVENTION = 'close_to_close'

export interface PriceBasis {
  dates: readonly string[]
  /** validated prices of the declared (or default) price column */
  prices: Float64Array
  column: string
}

/** The price column a declaration names, by any spelling of its header; undefined when the file has no such column. */
export function declaredPriceColumn(table: PriceTable, accounting: RunnerAccounting | undefined): number | undefined {
  if (!accounting?.price) return table.columns.close
  const key = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')
  const index = table.header.findIndex((h) => key(h) === key(accounting.price!))
  return index === -1 ? undefined : index
}

export interface Recomputed {
  /** date -> the return the positions earned under the convention, at `costBps` */
  returns: Map<string, number>
  /** dates of returns.csv the recomputation could not reach, with why */
  unreachable: Array<{date: string; why: string}>
}

/**
 * Each period's return from the positions and the prices under
 * close_to_close: the position at the close of row t-1 times the price return
 * from row t-1 to row t, minus cost_bps / 10,000 per unit of position changed at
 * the close of row t-1. The book is flat before its first reported position
 * (row 0, or a later row for a record that starts out of sample): a record
 * that starts mid-file pays for entering, as one from row 0 does. A position
 * missing after the first is a gap the returns cannot be checked across.
 */
export function recomputeReturns(
  basis: PriceBasis,
  positions: ReadonlyMap<string, number>,
  dates: Iterable<string>,
  costBps: number,
): Recomputed {
  const row = new Map(basis.dates.map((d, i) => [d, i]))
  const returns = new Map<string, number>()
  const unreachable: Recomputed['unreachable'] = []
  const first = basis.dates.findIndex((d) => positions.has(d))
  const position = (t: number): number | undefined => (t < 0 || t < first ? 0 : positions.get(basis.dates[t]!))
  for (const date of dates) {
    const t = row.get(date)
    if (t === undefined || t === 0) {
      unreachable.push({date, why: t === undefined ? 'no price row on that date' : 'the first price row has no return'})
      continue
    }
    const held = position(t - 1)
    const before = position(t - 2)
    if (held === undefined || before === undefined) {
      unreachable.push({date, why: `positions.csv has no position on ${basis.dates[held === undefined ? t - 1 : t - 2]}`})
      continue
    }
    const assetReturn = basis.prices[t]! / basis.prices[t - 1]! - 1
    returns.set(date, held * assetReturn - (costBps / 10_000) * Math.abs(held - before))
  }
  return {returns, unreachable}
}
