import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import type {PriceSeries} from '../backtest/prices.js'
import type {PriceTable} from '../data/price-file.js'
import type {RerunData} from './rerun.js'

/**
 * Altered copies of a runner's price data, made from the table and its
 * validated prices (`series`, whose `close` is the table's return column:
 * price-file.ts picks it, the adjusted close when there is one).
 */

export interface ReturnVariant {
  /** shuffle the daily returns (seeded); without a seed their order is kept */
  seed?: number
  /**
   * instead of shuffling, give each daily return less the mean a random sign
   * (seeded), then add the mean back: the sizes of the moves stay in their
   * order (volatility clustering is kept), their direction is noise
   */
  signs?: number
  /**
   * subtract the mean daily return first: on a copy without drift no exposure
   * earns anything on average, so what a strategy earns there is timing alone
   */
  demean?: boolean
}

/** The series' price fields and the table column each one is read from. */
const PRICE_FIELDS = ['close', 'open', 'high', 'low'] as const

/**
 * Copies whose daily returns of the return column are shuffled, or given
 * random signs about their mean, and/or demeaned: the same volatility and fat
 * tails, no real temporal pattern left when shuffled, no direction left when
 * signed (the sizes of the moves, and so their clustering, kept in place). Prices are rebuilt from the first one; every other price
 * column (open, high, low, close) keeps its ratio to its day's reference price,
 * so the copy stays consistent and every spelling of the header is altered alike.
 *
 * A copy's price cells are written with 12 significant digits. Its table (the
 * file a process runner reads) is made only when asked for; its numbers are
 * made at once, each exactly what reading its cell back gives, so the in-process
 * kit runs on them without parsing the text (the permutation check makes
 * hundreds of copies, and reading their text was half of an audit's time).
 */
export function returnAlterations(table: PriceTable, series: PriceSeries): (variant: ReturnVariant) => RerunData {
  const closes = series.close
  const n = closes.length
  const priceColumns = table.columns.prices
  const prices = priceColumns.map((c) => Float64Array.from(table.rows.slice(0, n), (row) => Number(row[c])))
  // which of the table's price columns each price field of the series is (the close is one of them, always)
  const fields = PRICE_FIELDS.flatMap((name) => {
    const column = table.columns[name]
    const k = column === undefined ? -1 : priceColumns.indexOf(column)
    return series[name] && k >= 0 ? [{name, k}] : []
  })
  const complete = fields.length === PRICE_FIELDS.filter((name) => series[name]).length
  return (variant) => {
    const scales = rescaling(closes, variant)
    const product = (k: number, t: number) => prices[k]![t]! * scales[t]!
    let rows: string[][] | undefined
    const copyTable = (): PriceTable => {
      if (!rows) {
        rows = table.rows.map((row) => [...row])
        for (let t = 0; t < n; t++) for (let k = 0; k < priceColumns.length; k++) rows[t]![priceColumns[k]!] = product(k, t).toPrecision(12)
      }
      return {...table, rows}
    }
    return {file: table.file, table: copyTable, series: complete ? copySeries(series, fields, n, product) : undefined}
  }
}

/** Each day's factor from the real prices to the copy's: the copy's returns compounded from the first price. */
function rescaling(closes: Float64Array, variant: ReturnVariant): Float64Array {
  const n = closes.length
  const returns = new Float64Array(Math.max(0, n - 1))
  for (let t = 1; t < n; t++) returns[t - 1] = closes[t]! / closes[t - 1]! - 1
  if (variant.signs !== undefined && returns.length > 0) flipSigns(returns, variant.signs)
  if (variant.demean && returns.length > 0) {
    let sum = 0
    for (const r of returns) sum += r
    const mean = sum / returns.length
    for (let i = 0; i < returns.length; i++) returns[i] -= mean
  }
  const order = variant.seed === undefined ? undefined : shuffledOrder(returns.length, variant.seed)
  const scales = new Float64Array(n)
  let rebuilt = closes[0]!
  for (let t = 0; t < n; t++) {
    if (t > 0) rebuilt *= 1 + returns[order ? order[t - 1]! : t - 1]!
    scales[t] = rebuilt / closes[t]!
  }
  return scales
}

/**
 * The order in which a copy shuffled with `seed` takes the `length` daily
 * returns: its i-th return (the one ending at row i + 1) is the real return
 * number order[i] (ending at row order[i] + 1). One permutation for the node's
 * own data and for every other data file shown to the same re-run
 * (permuted-data.ts), so that what those files say stays aligned in time with
 * the shuffled prices as it is in reality. Fisher-Yates, seeded.
 */
export function shuffledOrder(length: number, seed: number): Uint32Array {
  const order = new Uint32Array(length)
  for (let i = 0; i < length; i++) order[i] = i
  const rng = mersenne(seed >>> 0)
  for (let i = length - 1; i > 0; i--) {
    const j = unsafeUniformIntDistribution(0, i, rng)
    const swap = order[i]!
    order[i] = order[j]!
    order[j] = swap
  }
  return order
}

/**
 * The sign a copy flipped with `seed` gives each of the `length` daily
 * returns less their mean (the i-th ends at row i + 1): +1 or -1, each with
 * probability 1/2, seeded. The same signs for the node's own data and for
 * every other price file shown to the same re-run (permuted-data.ts), so that
 * a day's move of a benchmark keeps its direction relative to the asset's.
 */
export function flippedSigns(length: number, seed: number): Int8Array {
  const signs = new Int8Array(length)
  const rng = mersenne((seed >>> 0) ^ 0x5157)
  for (let i = 0; i < length; i++) signs[i] = unsafeUniformIntDistribution(0, 1, rng) === 1 ? 1 : -1
  return signs
}

/**
 * `returns` with each one's distance from their mean given the sign
 * flippedSigns draws, in place: m + s_i (r_i - m). Their sizes around the mean
 * keep their order (the autocorrelation of |r - m| is the real one), the mean
 * is kept on average, and the direction of every move is a coin: no timing
 * rule earns anything there on average, whatever the data's structure, while a
 * runner cannot tell the copy from real prices by their volatility clustering.
 */
function flipSigns(returns: Float64Array, seed: number): void {
  let sum = 0
  for (const r of returns) sum += r
  const mean = sum / returns.length
  const signs = flippedSigns(returns.length, seed)
  for (let i = 0; i < returns.length; i++) returns[i] = mean + signs[i]! * (returns[i]! - mean)
}

/**
 * The copy's validated numbers: its price cells read back as numbers, the
 * dates and volumes unchanged. Undefined when a cell would not be a positive
 * finite price (a copy compounded to 0 or to infinity): the kit then reads
 * the text and reports it as it would any bad file.
 */
function copySeries(
  series: PriceSeries,
  fields: Array<{name: (typeof PRICE_FIELDS)[number]; k: number}>,
  n: number,
  product: (k: number, t: number) => number,
): PriceSeries | undefined {
  const copy: {-readonly [K in keyof PriceSeries]: PriceSeries[K]} = {...series}
  for (const {name, k} of fields) {
    const values = new Float64Array(n)
    for (let t = 0; t < n; t++) {
      const value = twelveDigits(product(k, t))
      if (!(value > 0 && value < Number.POSITIVE_INFINITY)) return undefined
      values[t] = value
    }
    copy[name] = values
  }
  return copy
}

// 10^0 .. 10^22: the powers of ten a double holds exactly (parsed, not computed: Math.pow may round)
const EXACT_POWERS_OF_TEN = Array.from({length: 23}, (_, i) => Number(`1e${i}`))

/**
 * Number(x.toPrecision(12)), the number a copy's cell reads back as, without
 * the string: about a third of an audit went into writing and parsing them.
 * With 10^k exact, x * 10^k is within 2^-53 relative (1.2e-4 absolute below
 * 10^12) of the exact product, so its rounding to an integer m is the 12 digits
 * toPrecision writes unless the product lies near a half; m / 10^k, both
 * exact, is then correctly rounded, as parsing the digits is. Near a half, and
 * outside 1e-11..1e11, the string is made.
 */
export function twelveDigits(x: number): number {
  if (x >= 1e-11 && x < 1e11) {
    const k = 11 - Math.floor(Math.log10(x))
    if (k >= 0 && k <= 22) {
      const scaled = x * EXACT_POWERS_OF_TEN[k]!
      const m = Math.round(scaled)
      if (Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-3 && m >= 1e11 && m <= 1e12) return m / EXACT_POWERS_OF_TEN[k]!
    }
  }
  return Number(x.toPrecision(12))
}

/** True when the copy's return column differs from the original somewhere: an alteration that changed nothing proves nothing. */
export function differs(copy: RerunData, original: PriceSeries): boolean {
  const closes = copy.series?.close
  if (closes) return closes.some((value, t) => value !== original.close[t])
  const table = copy.table()
  const c = table.columns.close
  return table.rows.some((row, t) => Number(row[c]) !== original.close[t])
}
