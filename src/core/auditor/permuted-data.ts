/**
 * The other data files a node declares, as a permutation re-run shows them
 * (leakage.permutation): shuffled with the same permutation of dates as the
 * node's own data, so that what they say stays aligned in time with the
 * shuffled prices as it is in reality. Without this, a strategy peeking at
 * tomorrow's benchmark return through another file would lose its edge on the
 * copies (the benchmark no longer lines up with the shuffled prices) and pass.
 *
 * The node's own data has dates d_0..d_{n-1}; the copy's return ending at
 * d_{i+1} is the real one ending at d_{order[i]+1} (shuffledOrder). Another file:
 * - with a close column (a price file): its return ending at d_{i+1} becomes
 *   its own return ending at d_{order[i]+1} (0 when it has no row there),
 *   demeaned by the mean of those returns; rows on dates the node's data does
 *   not have (and on d_0) get a return of 0. Prices are rebuilt from its first
 *   price; every other price column keeps its ratio to the close, as in
 *   returnAlterations. Intervals move with intervals: what the file says about
 *   the day before a date, or the day after it, moves with that day.
 * - dated, without a close column (`date,value`): the row dated d_{i+1} takes
 *   the other cells of the row dated d_{order[i]+1}; rows on other dates, or
 *   with no row to take from, stay as they are. A value moves with the return
 *   ending at its date: one that describes that day stays with it; one that
 *   describes the next day (a forward return written into the file) does not.
 * A copy with flipped signs (data-variants.ts flippedSigns) moves no date: a
 * price file's return ending at d_{i+1} takes the sign of the node's own return
 * ending there, about the mean of its returns on the node's dates; a value
 * file shows as it is.
 * A file without dates is never given here (sealed-data.ts shows it as it is).
 */
import {createHash} from 'node:crypto'
import {parseDateCell, priceColumnsOf, type DatedTable, type PriceColumns} from '../data/price-file.js'
import type {TableAlteration} from '../state/data-cuts.js'
import {flippedSigns, shuffledOrder, type ReturnVariant} from './data-variants.js'

/** One permutation re-run: how the node's own data was altered, and its dates. */
export interface Permutation extends ReturnVariant {
  /** the dates of the node's own data (as the re-run's copy holds them), in order */
  readonly dates: readonly string[]
}

/** True when the re-run changes its data at all (a seed, signs or demeaning): otherwise the other files show as they are. */
export const permutes = (p: Permutation | undefined): p is Permutation =>
  p !== undefined && (p.seed !== undefined || p.signs !== undefined || p.demean === true)

/**
 * The sign each date's move takes in a copy with flipped signs (data-variants.ts flippedSigns): the time (ms) of
 * d_{i+1} -> the sign of the node's own return ending there. Undefined for a copy that flips no signs.
 */
export function flippedDates(p: Permutation): Map<number, number> | undefined {
  if (p.signs === undefined) return undefined
  const times = p.dates.map(parseDateCell)
  const signs = flippedSigns(Math.max(0, times.length - 1), p.signs)
  const flipped = new Map<number, number>()
  signs.forEach((sign, i) => {
    if (!Number.isNaN(times[i + 1]!)) flipped.set(times[i + 1]!, sign)
  })
  return flipped
}

/**
 * Where each moved date takes its data from: the time (ms) of d_{i+1} -> the
 * time of d_{order[i]+1}. Dates that do not parse are left out.
 */
export function movedDates(p: Permutation): Map<number, number> {
  const times = p.dates.map(parseDateCell)
  const m = Math.max(0, times.length - 1)
  const order = p.seed === undefined ? undefined : shuffledOrder(m, p.seed)
  const moved = new Map<number, number>()
  for (let i = 0; i < m; i++) {
    const target = times[i + 1]!
    const source = times[(order ? order[i]! : i) + 1]!
    if (!Number.isNaN(target) && !Number.isNaN(source)) moved.set(target, source)
  }
  return moved
}

/** `table` (another data file, already cut) as the re-run shows it; the original is not changed. */
export function permutedTable(
  table: DatedTable,
  moved: ReadonlyMap<number, number>,
  demean: boolean,
  flipped?: ReadonlyMap<number, number>,
): DatedTable {
  return prepare(table)(moved, demean, flipped)
}

type Prepared = (moved: ReadonlyMap<number, number>, demean: boolean, flipped?: ReadonlyMap<number, number>) => DatedTable

/** The tables an audit has prepared for its permutations, by the table as read (permutationAlteration). */
export type PreparedTables = WeakMap<DatedTable, {rows: number; prepared: Prepared}>

/** What every copy of one table needs, worked out once: its kind, the time of each row, its returns. */
function prepare(table: DatedTable): Prepared {
  const columns = priceColumnsOf(table)
  const times = table.rows.map((row) => parseDateCell(row[table.columns.date] ?? ''))
  return columns ? preparePrices(table, columns, times) : prepareValues(table, times)
}

function preparePrices(table: DatedTable, columns: PriceColumns, times: readonly number[]): Prepared {
  // the rows whose close is a price and whose date is a date: the others are shown as they are
  const valid: number[] = []
  const closes: number[] = []
  table.rows.forEach((row, j) => {
    const close = Number(row[columns.close])
    if (close > 0 && close < Number.POSITIVE_INFINITY && !Number.isNaN(times[j]!)) {
      valid.push(j)
      closes.push(close)
    }
  })
  // the return ending at each valid row's date, from the valid row before it
  const returns = new Map<number, number>()
  for (let k = 1; k < valid.length; k++) returns.set(times[valid[k]!]!, closes[k]! / closes[k - 1]! - 1)
  return (moved, demean, flipped) => {
    let mean = 0
    if (demean || flipped) {
      // the returns the copy draws (those ending at the node's dates), whatever their order: their mean, for any seed
      let sum = 0
      let count = 0
      for (const source of moved.values()) {
        const r = returns.get(source)
        if (r !== undefined) {
          sum += r
          count++
        }
      }
      mean = count > 0 ? sum / count : 0
    }
    const rows = table.rows.slice()
    let rebuilt = closes[0]!
    for (let k = 0; k < valid.length; k++) {
      if (k > 0) {
        const source = moved.get(times[valid[k]!]!)
        const r = source === undefined ? undefined : returns.get(source)
        // with flipped signs, the same coin as the node's own move that day turns this file's move about its mean
        const sign = flipped?.get(times[valid[k]!]!)
        const move = r === undefined ? 0 : sign === undefined ? (demean ? r - mean : r) : sign * (r - mean) + (demean ? 0 : mean)
        rebuilt *= 1 + move
      }
      const scale = rebuilt / closes[k]!
      const row = rows[valid[k]!]!.slice()
      for (const c of columns.prices) {
        const value = Number(row[c])
        if (row[c] !== undefined && row[c] !== '' && Number.isFinite(value)) row[c] = (value * scale).toPrecision(12)
      }
      rows[valid[k]!] = row
    }
    return {...table, rows}
  }
}

function prepareValues(table: DatedTable, times: readonly number[]): Prepared {
  const rowAt = new Map<number, number>()
  times.forEach((time, j) => {
    if (!Number.isNaN(time) && !rowAt.has(time)) rowAt.set(time, j)
  })
  const date = table.columns.date
  return (moved) => {
    const rows = table.rows.slice()
    for (const [target, source] of moved) {
      const to = rowAt.get(target)
      const from = rowAt.get(source)
      if (to === undefined || from === undefined || to === from) continue
      const row = table.rows[from]!.slice()
      row[date] = table.rows[to]![date]!
      rows[to] = row
    }
    return {...table, rows}
  }
}

/**
 * The alteration a sealed-data overlay applies to each other data file after
 * its cuts (data-cuts.ts), for one permutation re-run. Each table is prepared
 * once however many copies are made of it: keyed by the table as read, which
 * stays the same object while the audit's TableCache keeps it.
 */
export function permutationAlteration(p: Permutation, prepared: PreparedTables): TableAlteration {
  const moved = movedDates(p)
  const flipped = flippedDates(p)
  const demean = p.demean === true
  const dates = createHash('sha256').update(p.dates.join('\n')).digest('hex').slice(0, 8)
  return {
    tag: `perm-${p.seed ?? 'none'}${p.signs === undefined ? '' : `s${p.signs}`}${demean ? 'd' : ''}-${dates}`,
    apply(cut, whole) {
      let entry = prepared.get(whole)
      if (!entry || entry.rows !== cut.rows.length) {
        entry = {rows: cut.rows.length, prepared: prepare(cut)}
        prepared.set(whole, entry)
      }
      return entry.prepared(moved, demean, flipped)
    },
  }
}
