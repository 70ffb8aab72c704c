import {readFileSync} from 'node:fs'
import {parse} from 'csv-parse/sync'
import {z} from 'zod'
import {InputError} from '../errors.js'

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
}

const OPTIONAL_COLUMNS = ['open', 'high', 'low', 'volume'] as const
type OptionalColumn = (typeof OPTIONAL_COLUMNS)[number]

// csv-parse hands over strings; an empty cell must not quietly become 0 the way Number('') does
const numberCell = z
  .string()
  .trim()
  .min(1, 'is empty')
  .transform((text) => Number(text))
  .pipe(z.number({error: 'is not a finite number'}))

const PriceCell = numberCell.pipe(z.number().positive('must be a positive price'))
const VolumeCell = numberCell.pipe(z.number().nonnegative('must be a volume >= 0'))
const DateCell = z
  .string()
  .trim()
  .min(1, 'is empty')
  .refine((text) => !Number.isNaN(Date.parse(text)), 'is not a date (write YYYY-MM-DD)')

/** Read and validate a price CSV; every problem is an InputError naming the file, the column and the line. */
export function loadPrices(file: string): PriceSeries {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new InputError(`cannot read the price file: ${(error as Error).message}`, {
      file,
      fix: 'point RIGOR_DATA at an existing CSV with a date and a close column',
      cause: error,
    })
  }
  return parsePrices(text, file)
}

/** Parse price CSV text; `file` is only used to name the source in errors. */
export function parsePrices(text: string, file: string): PriceSeries {
  let rows: {info: {lines: number}; record: string[]}[]
  try {
    rows = parse(text, {bom: true, skip_empty_lines: true, trim: true, info: true}) as unknown as typeof rows
  } catch (error) {
    throw new InputError(`is not valid CSV: ${(error as Error).message}`, {file, cause: error})
  }
  if (rows.length === 0) throw new InputError('is empty; expected a header row date,close (or date,open,high,low,close,volume)', {file})

  const header = rows[0].record.map((name) => name.toLowerCase())
  const column = (name: string): number => header.indexOf(name)
  for (const required of ['date', 'close']) {
    if (column(required) < 0) {
      throw new InputError(`has no "${required}" column (header: ${rows[0].record.join(',')})`, {
        file,
        field: required,
        fix: 'the header must name at least date and close, e.g. date,open,high,low,close,volume',
      })
    }
  }
  const body = rows.slice(1)
  if (body.length < 2) throw new InputError(`has ${body.length} price row(s); a backtest needs at least 2`, {file})

  const dateColumn = column('date')
  const closeColumn = column('close')
  const optional = OPTIONAL_COLUMNS.filter((name) => column(name) >= 0)
  const series = {
    dates: new Array<string>(body.length),
    close: new Float64Array(body.length),
    ...Object.fromEntries(optional.map((name) => [name, new Float64Array(body.length)])),
  } as {dates: string[]; close: Float64Array} & Partial<Record<OptionalColumn, Float64Array>>

  let previousTime = Number.NEGATIVE_INFINITY
  for (let i = 0; i < body.length; i++) {
    const {record, info} = body[i]
    const cell = <T>(name: string, index: number, schema: z.ZodType<T, string>): T => {
      const result = schema.safeParse(record[index] ?? '')
      if (!result.success) {
        throw new InputError(`line ${info.lines}: ${JSON.stringify(record[index] ?? '')} ${result.error.issues[0].message}`, {file, field: name})
      }
      return result.data
    }
    const date = cell('date', dateColumn, DateCell)
    const time = Date.parse(date)
    if (time <= previousTime) {
      throw new InputError(`line ${info.lines}: ${date} does not come after the previous row's date; rows must be in ascending date order without duplicates`, {
        file,
        field: 'date',
      })
    }
    previousTime = time
    series.dates[i] = date
    series.close[i] = cell('close', closeColumn, PriceCell)
    for (const name of optional) series[name]![i] = cell(name, column(name), name === 'volume' ? VolumeCell : PriceCell)
  }
  return series
}
