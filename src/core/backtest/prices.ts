import {columnName, DATE_FORMATS, parseDateCell, readPriceTable, type PriceTable} from '../data/price-file.js'
import {InputError} from '../errors.js'
import {readInputFile} from '../input-file.js'
import {parseDecimal} from '../validation.js'

/**
 * A daily price history, column-wise: typed arrays so the strategies and the
 * engine loop over contiguous doubles. Only `close` is required; the other
 * columns are kept when the file has them.
 */
export interface PriceSeries {
  readonly dates: readonly string[]
  readonly close: Float64Array
  readonly open?: Float64Array
  readonly high?: Float64Array
  readonly low?: Float64Array
  readonly volume?: Float64Array
  /** the header of the column `close` was read from (`close`, or `adj close` when the file has one) */
  readonly closeColumn?: string
}

const OPTIONAL_COLUMNS = ['open', 'high', 'low', 'volume'] as const
type OptionalColumn = (typeof OPTIONAL_COLUMNS)[number]

// Every cell of every run's price file goes through these (a backtest, and an audit's many re-runs, read thousands of
// rows): checked by hand, where a zod schema per cell took a third of an audit's time. The messages are the contract.
type CellCheck<T> = (text: string) => {value: T} | {problem: string}

/**
 * csv-parse hands over strings; an empty cell must not quietly become 0 the way Number('') does, nor `0x10` 16 and
 * `0b11` 3 the way Number() reads them: a price is written in decimal (validation.ts's parseDecimal decides).
 */
function numberCell(text: string, inRange: (n: number) => boolean, outOfRange: string): {value: number} | {problem: string} {
  const trimmed = text.trim()
  if (trimmed === '') return {problem: 'is empty'}
  const value = Number(trimmed)
  if (!Number.isFinite(value)) return {problem: 'is not a finite number'}
  if (!parseDecimal(trimmed, false).ok) return {problem: 'is not a decimal number'}
  return inRange(value) ? {value} : {problem: outOfRange}
}

/** How to mend a bad cell of each kind of column: the rows are read as they are, a missing price is never filled in. */
const CELL_FIXES = {
  date: `write every date as ${DATE_FORMATS}`,
  price:
    'write every price as a positive decimal number without thousands separators (e.g. 1101.25); a row without a price has none to trade on: remove it',
  // the kit's strategies trade on the close alone: an open, high or low nobody can fill need not cost the row's close
  otherPrice:
    'write every price as a positive decimal number without thousands separators (e.g. 1101.25), or leave the column out: the strategies read only the close',
  volume: 'write every volume as a decimal number >= 0, or leave the volume column out',
} as const

/** The most one close may differ from the one before, as a factor either way: beyond it, a price is off by orders of magnitude. */
const MAX_PRICE_RATIO = 1e9

const PriceCell: CellCheck<number> = (text) => numberCell(text, (n) => n > 0, 'must be a positive price')
const VolumeCell: CellCheck<number> = (text) => numberCell(text, (n) => n >= 0, 'must be a volume >= 0')
/** The trimmed date and its time. */
const DateCell: CellCheck<{text: string; time: number}> = (text) => {
  const trimmed = text.trim()
  if (trimmed === '') return {problem: 'is empty'}
  const time = parseDateCell(trimmed)
  if (Number.isNaN(time)) return {problem: `is not a date (write ${DATE_FORMATS})`}
  return {value: {text: trimmed, time}}
}

/** A price CSV larger than this is refused (what `rigor paper` takes too): its text would not fit one string. */
const MAX_PRICE_CSV_BYTES = 256 * 1024 * 1024

/**
 * Read and validate a price CSV; every problem is an InputError naming the file (as `name`, default `file`), the
 * column and the line.
 */
export function loadPrices(file: string, name = file): PriceSeries {
  // bounded: RIGOR_DATA=/dev/zero (or a FIFO that never ends) ran the process out of memory, an abort with no message
  const text = readInputFile(file, {
    what: 'a price CSV',
    maxBytes: MAX_PRICE_CSV_BYTES,
    fix: 'point RIGOR_DATA at an existing CSV with a date and a close column',
    name,
  }).toString('utf8')
  return parsePrices(text, name)
}

/** Parse price CSV text; `file` is only used to name the source in errors. */
export function parsePrices(text: string, file: string): PriceSeries {
  return priceSeries(readPriceTable(text, file))
}

/**
 * The validated numbers of a price table (see data/price-file.ts for the
 * columns it recognises). `close` is the column returns are computed from: the
 * adjusted close when the file has one.
 */
export function priceSeries(table: PriceTable): PriceSeries {
  const {file, rows: body, lineOf, columns, header} = table
  if (body.length < 2)
    throw new InputError(`has ${body.length} price row(s); a backtest needs at least 2`, {
      file,
      fix: 'give a price history of one row per date under the header, oldest first',
    })
  const optional = OPTIONAL_COLUMNS.filter((name) => columns[name] !== undefined)
  const series = {
    dates: new Array<string>(body.length),
    close: new Float64Array(body.length),
    closeColumn: columnName(table, columns.close),
    ...Object.fromEntries(optional.map((name) => [name, new Float64Array(body.length)])),
  } as {dates: string[]; close: Float64Array; closeColumn: string} & Partial<Record<OptionalColumn, Float64Array>>

  let previousTime = Number.NEGATIVE_INFINITY
  for (let i = 0; i < body.length; i++) {
    const record = body[i]!
    // a price written with an unquoted thousands separator (1,234.50) is two cells: the close would be read as 1
    if (record.length > header.length && record.slice(header.length).some((extra) => extra !== ''))
      throw new InputError(
        `line ${lineOf(i)} has ${record.length} cells, the header ${header.length} (${header.join(',')}): a number written with a thousands separator is split in two`,
        {
          file,
          fix: 'write numbers without thousands separators (1234.50, not 1,234.50) and give every row one cell per header column',
        },
      )
    const cell = <T>(name: string, index: number, check: CellCheck<T>, fix: string): T => {
      const result = check(record[index] ?? '')
      if ('problem' in result) {
        throw new InputError(`line ${lineOf(i)}: ${JSON.stringify(record[index] ?? '')} ${result.problem}`, {file, field: name, fix})
      }
      return result.value
    }
    const {text: date, time} = cell('date', columns.date, DateCell, CELL_FIXES.date)
    if (time <= previousTime) {
      throw new InputError(
        `line ${lineOf(i)}: ${date} does not come after the previous row's date; rows must be in ascending date order without duplicates`,
        {
          file,
          field: 'date',
          fix: 'sort the rows oldest first, one row per date (a time of day goes in the date cell: 2024-01-02T10:00); prices of several symbols go in one file per symbol',
        },
      )
    }
    previousTime = time
    series.dates[i] = date
    series.close[i] = cell(series.closeColumn, columns.close, PriceCell, CELL_FIXES.price)
    // each price is finite, but one many orders of magnitude from the last (1e308 after 100) is a typo, not a market,
    // and its return's square overflows: every metric after it would be NaN or 0 with no word of why
    const ratio = i > 0 ? series.close[i]! / series.close[i - 1]! : 1
    if (!(ratio >= 1 / MAX_PRICE_RATIO && ratio <= MAX_PRICE_RATIO))
      throw new InputError(
        `line ${lineOf(i)}: ${JSON.stringify(record[columns.close] ?? '')} after ${series.close[i - 1]} on the row before is a change of more than ${MAX_PRICE_RATIO.toExponential()} times in one period`,
        {file, field: series.closeColumn, fix: 'correct the price (a misplaced decimal point?), or remove the row'},
      )
    for (const name of optional)
      series[name]![i] =
        name === 'volume'
          ? cell(name, columns[name]!, VolumeCell, CELL_FIXES.volume)
          : cell(name, columns[name]!, PriceCell, CELL_FIXES.otherPrice)
  }
  return series
}

/**
 * The first `rows` rows of a validated series: exactly what priceSeries reads
 * from the table cut there (a prefix of ascending, valid rows is ascending and
 * valid). Undefined below the 2 rows a backtest needs, whose error priceSeries gives.
 */
export function seriesPrefix(series: PriceSeries, rows: number): PriceSeries | undefined {
  if (rows < 2) return undefined
  const prefix: PriceSeries = {...series, dates: series.dates.slice(0, rows), close: series.close.slice(0, rows)}
  for (const name of OPTIONAL_COLUMNS) if (series[name]) Object.assign(prefix, {[name]: series[name].slice(0, rows)})
  return prefix
}
