import {parse} from 'csv-parse/sync'
import {parseDecimal} from '../validation.js'

export type SeriesKind = 'return' | 'position'

/** The names a date column goes by (any case). */
export const DATE_NAMES = ['date', 'datetime', 'timestamp', 'time']

/**
 * Which columns of a `date,<value>` file (returns.csv, positions.csv) hold the
 * date and the value: the one rule every reader uses. The date is the column
 * named date, datetime, timestamp or time (any case), else the first; the value
 * is the column named `return` / `position` (any case), else the last column
 * that is not the date.
 */
export function seriesColumns(header: readonly string[], kind: SeriesKind): {date: number; value: number} {
  const names = header.map((h) => h.trim().toLowerCase())
  const named = names.findIndex((n) => DATE_NAMES.includes(n))
  const date = named === -1 ? 0 : named
  const value = names.indexOf(kind)
  if (value !== -1) return {date, value}
  const last = header.length - 1
  return {date, value: last === date ? (date === 0 ? 1 : 0) : last}
}

/** A series file as a map from date to number, in file order (a cell that is not a number reads NaN, for the caller to judge). */
export function readSeries(text: string, kind: SeriesKind): Map<string, number> {
  const records = parse(text, {bom: true, skip_empty_lines: true, trim: true, relax_column_count: true}) as string[][]
  const [header = [], ...rows] = records
  const {date, value} = seriesColumns(header, kind)
  return new Map(rows.map((r) => [r[date] ?? '', seriesValue(r[value])]))
}

/**
 * A cell of a series file as a number, NaN when it is not one written in decimal: Number() also reads `0x10` as 16,
 * `0b11` as 3 and an empty cell as 0, none of which a dataframe writes for a return or a position, and a value read
 * otherwise than anyone reading the file reads it would be checked and counted as another number.
 */
export function seriesValue(cell: string | undefined): number {
  if (cell === undefined) return Number.NaN
  const parsed = parseDecimal(cell, false)
  return parsed.ok ? parsed.value : Number.NaN
}
