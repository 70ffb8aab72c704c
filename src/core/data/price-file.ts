import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {InputError} from '../errors.js'
import {isoTimeMillis} from '../validation.js'
import {requireCsvText, sourceLines} from './csv-text.js'

/**
 * The one reader of price files, shared by the strategy kit and the auditor, so
 * that what the kit trades is exactly what the auditor alters. It accepts what
 * users' files look like: any header case and spacing (`Date`, `Adj Close`,
 * `adj_close`), extra columns kept as they are, ISO dates or datetimes, YYYYMMDD dates, and Unix
 * timestamps in seconds or milliseconds.
 *
 * Rows stay as the strings written, so an altered copy changes only the price
 * cells and a truncated one is a prefix of the original.
 */

export interface PriceColumns {
  date: number
  /** the column returns are computed from: the adjusted close when the file has one, else the close */
  close: number
  /** every column that holds a price (open, high, low, close, adjusted close): an altered copy rescales them all */
  prices: number[]
  open?: number
  high?: number
  low?: number
  volume?: number
}

/** Any CSV with a date column: what a cut by date needs (data-cuts.ts), and what every price table is. */
export interface DatedTable {
  /** where the text came from, for error messages */
  file: string
  header: string[]
  rows: string[][]
  /** the source line of row `row` (for messages: worked out on first use, which costs a second parse) */
  lineOf: (row: number) => number
  columns: {date: number}
}

export interface PriceTable extends DatedTable {
  columns: PriceColumns
}

// header names compared without case, spaces or punctuation: "Adj Close", "adj_close" and "AdjClose" are one name
const key = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '')
/** Whether two header names are one column's ("Adj Close" and "adj_close"), as this reader compares them. */
export const sameColumnName = (a: string, b: string): boolean => key(a) === key(b)
const DATE_NAMES = ['date', 'datetime', 'timestamp', 'time']
const ADJUSTED_CLOSE_NAMES = ['adjclose', 'adjustedclose']

/** The index of the first of `names` in `keys` (a header's names as `key` makes them). */
function findColumn(keys: readonly string[], names: readonly string[]): number | undefined {
  for (const name of names) {
    const index = keys.indexOf(name)
    if (index >= 0) return index
  }
  return undefined
}

/** Parses CSV text with a date column (any of DATE_NAMES, any case); `file` only names the source in errors. */
export function readDatedTable(text: string, file: string): DatedTable {
  requireCsvText(text, file)
  let records: string[][]
  try {
    // without csv-parse's `info`, which copies an object a row and doubles the parse: line numbers are only for messages
    records = parse(text, CSV_OPTIONS) as string[][]
  } catch (error) {
    throw new InputError(`is not valid CSV: ${(error as Error).message}`, {
      file,
      cause: error,
      fix: 'save it as plain comma-separated CSV: a quoted cell ("...") closes its quote, and a quote inside one is written twice ("")',
    })
  }
  if (records.length === 0) throw new InputError('is empty; expected a header row date,close (or date,open,high,low,close,volume)', {file})
  const header = records[0]!
  const date = findColumn(header.map(key), DATE_NAMES)
  if (date === undefined) {
    throw new InputError(`has no "date" column (header: ${header.join(',')})`, {
      file,
      field: 'date',
      fix: `name the date column one of: ${DATE_NAMES.join(', ')} (any case)`,
    })
  }
  return {file, header, rows: records.slice(1), lineOf: sourceLines(text, CSV_OPTIONS), columns: {date}}
}

/** Parses price CSV text into a table with its columns located; `file` only names the source in errors. */
export function readPriceTable(text: string, file: string): PriceTable {
  const table = readDatedTable(text, file)
  const columns = priceColumnsOf(table)
  if (!columns) {
    throw new InputError(`has no "close" column (header: ${table.header.join(',')})`, {
      file,
      field: 'close',
      fix: 'the header must name at least date and close (or Adj Close), e.g. date,open,high,low,close,volume',
    })
  }
  return {...table, columns}
}

/** The price columns of a dated table, located as readPriceTable does; undefined when it has no close column (not a price file). */
export function priceColumnsOf(table: DatedTable): PriceColumns | undefined {
  const keys = table.header.map(key)
  const find = (names: readonly string[]) => findColumn(keys, names)
  const plainClose = find(['close'])
  const adjusted = find(ADJUSTED_CLOSE_NAMES)
  const close = adjusted ?? plainClose
  if (close === undefined) return undefined
  const optional = {open: find(['open']), high: find(['high']), low: find(['low']), volume: find(['volume', 'vol'])}
  const prices = [optional.open, optional.high, optional.low, plainClose, adjusted].filter((i): i is number => i !== undefined)
  return {
    date: table.columns.date,
    close,
    prices,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  }
}

const CSV_OPTIONS = {bom: true, skip_empty_lines: true, trim: true, relax_column_count: true} as const

/**
 * The table back as CSV text, header first. Cells that need no quotes (no
 * comma, quote or line break: every cell of a usual price file) are joined
 * as they are, which is what csv-stringify writes for them at a third of its
 * cost (an audit writes a copy of every declared data file for each shuffled
 * re-run); a table with any other cell is written by csv-stringify.
 */
export function priceTableText(table: DatedTable): string {
  const records = [table.header, ...table.rows]
  const parts: string[] = []
  for (const record of records) {
    for (const cell of record) if (NEEDS_QUOTES.test(cell)) return stringify(records)
    parts.push(record.join(','))
  }
  return parts.length > 0 ? `${parts.join('\n')}\n` : ''
}
const NEEDS_QUOTES = /[",\r\n]/

/** The canonical name of a column for messages: `close`, `adj close`, `open`, ... */
export const columnName = (table: PriceTable, index: number): string => table.header[index]!.trim().toLowerCase()

// ISO 8601 dates and datetimes, YYYYMMDD, or a Unix timestamp (seconds up to 11 digits, else milliseconds)
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/
const EPOCH = /^\d{9,13}(\.\d+)?$/

/** What a date cell of a file that is cut (a sealed holdout) may be: exactly the spellings DATE_FORMATS lists. */
const CUT_DATE = new RegExp(`${ISO_DATE.source}|${COMPACT_DATE.source}|${EPOCH.source}`)

/** The date spellings a date cell may have, for messages. */
export const DATE_FORMATS = 'YYYY-MM-DD, YYYYMMDD, an ISO datetime (2024-01-02T15:30:00Z) or a Unix timestamp (seconds or milliseconds)'

/** Milliseconds since the epoch for a date cell, or NaN when it is not a date. */
export function parseDateCell(text: string): number {
  const cell = text.trim()
  if (EPOCH.test(cell)) {
    const value = Number(cell)
    return cell.split('.')[0]!.length <= 11 ? value * 1000 : value
  }
  // YYYYMMDD (20180102): a calendar day, at UTC midnight like YYYY-MM-DD; 20181340 is no day
  const compact = COMPACT_DATE.exec(cell)
  if (compact) {
    const [year, month, day] = compact.slice(1).map(Number) as [number, number, number]
    const time = Date.UTC(year, month - 1, day)
    const back = new Date(time)
    return back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day ? time : Number.NaN
  }
  // a date without a zone is a calendar day: read it as UTC so that every machine orders and labels it alike
  if (ISO_DATE.test(cell))
    return isoTimeMillis(/[T ]/.test(cell) && !/(Z|[+-]\d{2}:?\d{2})$/.test(cell) ? `${cell.replace(' ', 'T')}Z` : cell)
  // other spellings Date.parse understands ("Jan 2, 2024"), as long as they name a year
  return /\d{4}/.test(cell) ? Date.parse(cell) : Number.NaN
}

/** The first `rows` rows: the data as it stood before row `rows`. */
export const truncatePriceTable = <T extends DatedTable>(table: T, rows: number): T => ({
  ...table,
  rows: table.rows.slice(0, rows),
})

/** Where a holdout begins: the first row on or after `from`, or the last `fraction` of the rows. */
export type HoldoutCut = {from: string} | {fraction: number}

// the checked times of a table's rows, by its rows: a table cut several times (an audit's dates) is checked once
const checkedTimes = new WeakMap<readonly string[][], Float64Array>()

/**
 * The time of each row's date, for a cut: every date cell must be a date, and
 * the rows oldest first (rows of one date may follow one another). A cut of
 * anything else could seal the wrong rows or none, so each is an InputError
 * naming the file and the line, never a cut that keeps everything.
 */
export function cutTimes(table: DatedTable): Float64Array {
  const known = checkedTimes.get(table.rows)
  if (known) return known
  const {file, rows, lineOf} = table
  const times = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const cell = rows[i]![table.columns.date] ?? ''
    // only the spellings DATE_FORMATS lists: others (Jan 2 2019, 2019/01/02) would be read in the machine's time zone,
    // and the first holdout day would reach research on a machine east of UTC
    const time = CUT_DATE.test(cell.trim()) ? parseDateCell(cell) : Number.NaN
    if (Number.isNaN(time))
      throw new InputError(`line ${lineOf(i)}: ${JSON.stringify(cell)} is not a date, so the file cannot be cut by date`, {
        file,
        field: 'date',
        fix: `write every date as ${DATE_FORMATS}`,
      })
    if (i > 0 && time < times[i - 1]!)
      throw new InputError(
        `line ${lineOf(i)}: ${cell.trim()} comes before the previous row's date (${rows[i - 1]![table.columns.date]?.trim()}); a file is cut by date only when its rows are oldest first`,
        {file, field: 'date', fix: 'sort the rows oldest first (several rows of one date may follow one another)'},
      )
    times[i] = time
  }
  checkedTimes.set(table.rows, times)
  return times
}

/**
 * The index of the first holdout row (so rows [0, index) are the research data).
 * A `from` date after the last row gives the row count (no holdout). A fraction
 * keeps at least one research row and never splits the rows of one date: the
 * cut moves back to the first row of the date it falls on. The dates must be
 * dates, oldest first (cutTimes).
 */
export function holdoutStart(table: DatedTable, cut: HoldoutCut): number {
  const n = table.rows.length
  if ('fraction' in cut) {
    if (!(cut.fraction > 0 && cut.fraction < 1))
      throw new InputError(`holdout fraction must lie strictly between 0 and 1, got ${cut.fraction}`, {
        field: 'holdout.fraction',
        fix: 'e.g. fraction: 0.2',
      })
    const times = cutTimes(table)
    const start = Math.max(1, n - Math.round(n * cut.fraction))
    let index = start
    while (index > 0 && index < n && times[index - 1] === times[index]) index--
    if (index === 0)
      throw new InputError(
        `line ${table.lineOf(0)} to line ${table.lineOf(start)} share the date ${table.rows[0]![table.columns.date]?.trim()}: a holdout of a fraction of the rows, cut before the first row of that date, leaves no research rows`,
        {file: table.file, field: 'date', fix: 'give the file rows of more than one date, or seal by date: holdout: {from: YYYY-MM-DD}'},
      )
    return index
  }
  const from = parseDateCell(cut.from)
  if (Number.isNaN(from)) throw new InputError(`"${cut.from}" is not a date`, {field: 'holdout.from', fix: 'write the date as YYYY-MM-DD'})
  const times = cutTimes(table)
  const index = times.findIndex((time) => time >= from)
  return index === -1 ? n : index
}

/** The research part of a table: every row before the holdout. */
export const researchPart = (table: PriceTable, cut: HoldoutCut): PriceTable => truncatePriceTable(table, holdoutStart(table, cut))
