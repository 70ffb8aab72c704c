import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {InputError} from '../errors.js'
import {requireCsvText} from '../data/csv-text.js'
import {DATE_FORMATS, parseDateCell, sameColumnName} from '../data/price-file.js'

/** A CSV with a header row and a `date` column (price files, returns.csv), kept as text cells. */
export interface DatedTable {
  header: string[]
  rows: string[][]
  /** column index of `date` */
  dateColumn: number
}

export function parseDatedCsv(text: string, file: string): DatedTable {
  // a file separated by ";" or tabs, or in UTF-16, is refused saying so, as every price file is
  requireCsvText(text, file)
  let table: string[][]
  try {
    table = parse(text, {bom: true, skip_empty_lines: true, trim: true, relax_column_count: false})
  } catch (err) {
    throw new InputError(`is not valid CSV: ${(err as Error).message}`, {file, fix: 'write a comma-separated file with a header row'})
  }
  const [header = [], ...rows] = table
  const dateColumn = header.findIndex((name) => name.toLowerCase() === 'date')
  if (dateColumn === -1)
    throw new InputError('has no "date" column', {file, fix: 'give the file a header row with a date column (docs/runner-protocol.md)'})
  rows.forEach((row, i) => {
    // the date spellings of every price file (data/price-file.ts): a YYYYMMDD history's returns.csv is dated so too
    if (Number.isNaN(parseDateCell(row[dateColumn] ?? ''))) {
      throw new InputError(`line ${i + 2}: "${row[dateColumn]}" is not a date`, {
        file,
        field: 'date',
        fix: `write dates as ${DATE_FORMATS}`,
      })
    }
  })
  return {header, rows, dateColumn}
}

export const dateOf = (table: DatedTable, row: string[]): number => parseDateCell(row[table.dateColumn]!)

/** The row with the latest date (the first of them when two share it), or undefined for a table without rows. */
export function lastDatedRow(table: DatedTable): string[] | undefined {
  let last: string[] | undefined
  let lastTime = Number.NEGATIVE_INFINITY
  for (const row of table.rows) {
    const time = dateOf(table, row)
    if (time > lastTime) [last, lastTime] = [row, time]
  }
  return last
}

/** The rows of `table` with their cells reordered to `header` (same column names, any order, case or spacing). */
export function alignColumns(table: DatedTable, header: string[], file: string): string[][] {
  const index = header.map((name) => {
    // a header in another case or spacing (Yahoo's "Adj Close" for adj_close) names the same column, as price files read it
    const exact = table.header.indexOf(name)
    const at = exact !== -1 ? exact : table.header.findIndex((other) => sameColumnName(other, name))
    if (at === -1)
      throw new InputError(`has no "${name}" column, which the node's data file has`, {
        file,
        fix: "give the new prices the same columns as the node's data file",
      })
    return at
  })
  return table.rows.map((row) => index.map((at) => row[at]!))
}

export const formatCsv = (header: string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string => stringify([header, ...rows])
