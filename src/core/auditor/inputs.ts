import {priceSeries, type PriceSeries} from '../backtest/prices.js'
import {columnName, readPriceTable, type PriceTable} from '../data/price-file.js'
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
    data = readPriceTable(bytes.toString('utf8'), file)
  } catch (error) {
    if (error instanceof RigorError) return {dataProblem: `the data cannot be read (${error.message})`}
    throw error
  }
  let series: PriceSeries
  try {
    series = priceSeries(data)
  } catch (error) {
    if (error instanceof RigorError) return {data, dataProblem: `the data's prices cannot be read (${error.message})`}
    throw error
  }
  const column = declaredPriceColumn(data, accounting)
  if (column === undefined) return {data, series}
  const basis = column === data.columns.close ? series.close : Float64Array.from(data.rows, (row) => Number(row[column]))
  return {data, series, basis: {dates: data.rows.map((row) => row[data.columns.date]!), prices: basis, column: columnName(data, column)}}
}

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
