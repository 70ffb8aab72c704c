import {priceSeries, type PriceSeries} from '../backtest/prices.js'
import {
  columnName,
  type DatedTable,
  priceColumnsOf,
  readDatedTable,
  readPriceTable,
  sameColumnName,
  type PriceTable,
} from '../data/price-file.js'
import {RigorError} from '../errors.js'
import {RunnerVerdict, type RunnerAccounting} from '../schemas/verdict.js'
import {declaredPriceColumn} from './accounting.js'
import type {CheckContext} from './checks/context.js'

/** What the audit reads of the committed data: the table, its validated prices, the declared price basis, or why not. */
export function readData(
  bytes: Buffer | undefined,
  file: string | undefined,
  accounting: RunnerAccounting | undefined,
): Pick<CheckContext, 'data' | 'series' | 'basis' | 'dataProblem'> {
  if (!bytes || !file) return {}
  let data: PriceTable
  try {
    const text = bytes.toString('utf8')
    data = withDeclaredPrice(readDatedTable(text, file), accounting) ?? readPriceTable(text, file)
  } catch (error) {
    if (error instanceof RigorError) return {dataProblem: `the data cannot be read (${withFix(error)})`}
    throw error
  }
  let series: PriceSeries
  try {
    series = priceSeries(data)
  } catch (error) {
    if (error instanceof RigorError) return {data, dataProblem: `the data's prices cannot be read (${withFix(error)})`}
    throw error
  }
  const column = declaredPriceColumn(data, accounting)
  if (column === undefined) return {data, series}
  const basis = column === data.columns.close ? series.close : Float64Array.from(data.rows, (row) => Number(row[column]))
  return {data, series, basis: {dates: data.rows.map((row) => row[data.columns.date]!), prices: basis, column: columnName(data, column)}}
}

/**
 * The table with the column the runner declares as its price (`accounting.price`) among its price columns: every
 * altered copy rescales those, and a declared column left as it was (a `vwap` or `mid` beside the close) would show
 * the runner the real prices on every shuffled copy, its honest positions earning there what they earn on the real
 * data. A file without a close column (`date,PX_LAST`) returns through the declared one. Undefined when the file
 * has neither a close column nor the declared one (the reader's error then says what to name it).
 */
function withDeclaredPrice(table: DatedTable, accounting: RunnerAccounting | undefined): PriceTable | undefined {
  const columns = priceColumnsOf(table)
  const price = accounting?.price
  const declared = price === undefined ? -1 : table.header.findIndex((name) => sameColumnName(name, price))
  if (declared === -1 || declared === table.columns.date) return columns && {...table, columns}
  if (!columns) return {...table, columns: {date: table.columns.date, close: declared, prices: [declared]}}
  if (columns.prices.includes(declared)) return {...table, columns}
  return {...table, columns: {...columns, prices: [...columns.prices, declared]}}
}

const withFix = (error: RigorError): string => (error.fix ? `${error.message}; fix: ${error.fix}` : error.message)

/** The runner's accounting declaration from its committed verdict.json (validated when it ran). */
export function runnerAccounting(text: string | undefined): RunnerAccounting | undefined {
  if (!text) return undefined
  try {
    const parsed = RunnerVerdict.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data.accounting : undefined
  } catch {
    return undefined
  }
}
