import {readFileSync} from 'node:fs'
import * as z from 'zod'
import {columnName, parseDateCell, readPriceTable, type PriceTable} from '../data/price-file.js'
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
  /** the header of the column `close` was read from (`close`, or `adj close` when the file has one) */
  readonly closeColumn?: string
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
  .refine((text) => !Number.isNaN(parseDateCell(text)), 'is not a date (write YYYY-MM-DD, an ISO datetime or a Unix timestamp)')

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
  return priceSeries(readPriceTable(text, file))
}

/**
 * The validated numbers of a price table (see data/price-file.ts for the
 * columns it recognises). `close` is the column returns are computed from: the
 * adjusted close when the file has one.
 */
export function priceSeries(table: PriceTable): PriceSeries {
  const {file, rows: body, lines, columns} = table
  if (body.length < 2) throw new InputError(`has ${body.length} price row(s); a backtest needs at least 2`, {file})
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
    const cell = <T>(name: string, index: number, schema: z.ZodType<T, string>): T => {
      const result = schema.safeParse(record[index] ?? '')
      if (!result.success) {
        throw new InputError(`line ${lines[i]}: ${JSON.stringify(record[index] ?? '')} ${result.error.issues[0].message}`, {
          file,
          field: name,
        })
      }
      return result.data
    }
    const date = cell('date', columns.date, DateCell)
    const time = parseDateCell(date)
    if (time <= previousTime) {
      throw new InputError(
        `line ${lines[i]}: ${date} does not come after the previous row's date; rows must be in ascending date order without duplicates`,
        {
          file,
          field: 'date',
        },
      )
    }
    previousTime = time
    series.dates[i] = date
    series.close[i] = cell(series.closeColumn, columns.close, PriceCell)
    for (const name of optional) series[name]![i] = cell(name, columns[name]!, name === 'volume' ? VolumeCell : PriceCell)
  }
  return series
}
