import {readInputFile} from '../input-file.js'

/** A returns CSV larger than this is refused: its text would not fit one string. */
const MAX_RETURNS_CSV_BYTES = 256 * 1024 * 1024
import {parse} from 'csv-parse/sync'
import {requireCsvText, sourceLines} from '../data/csv-text.js'
import {DATE_FORMATS, parseDateCell} from '../data/price-file.js'
import {DATE_NAMES} from '../data/series-file.js'
import {InputError} from '../errors.js'
import {parseDecimal} from '../validation.js'

/**
 * Return series from CSV files with a header row. A single series is the column
 * named `return`, else the last column that is entirely numeric and not a date
 * (DATE_NAMES); a returns matrix is every column but the date, one per trial.
 */

export interface ReturnsColumn {
  column: string
  values: number[]
}

export interface ReturnsMatrix {
  /** Column names, one per trial. */
  trials: string[]
  /** rows[t][n]: return of trial n in period t, oldest first. */
  rows: number[][]
}

export function readReturnsColumn(file: string): ReturnsColumn {
  const {header, records, lineOf} = readTable(file)
  requireHeader(file, header, 'date,return')
  // the column rule of every returns.csv reader (data/series-file.ts), then: the last column that is entirely numeric
  const named = header.findIndex((name) => name.trim().toLowerCase() === 'return')
  let index = named
  if (index === -1) {
    for (let c = header.length - 1; c >= 0; c--) {
      // dates written as numbers (20240102, Unix seconds) are numeric too, and are no returns
      if (isDateName(header[c]!)) continue
      if (records.every((record) => isNumber(record[c]))) {
        index = c
        break
      }
    }
  }
  if (index === -1) {
    throw new InputError('has no column named "return" and no column that is entirely numeric', {
      file,
      fix: 'add a header row with a "return" column holding one return per period',
    })
  }
  requireDates(file, {header, records, lineOf}, {oldestFirst: false})
  const values = records.map((record, r) => toNumber(record[index], file, header[index], lineOf, r))
  return {column: header[index], values}
}

export function readReturnsMatrix(file: string): ReturnsMatrix {
  const {header, records, lineOf} = readTable(file)
  requireHeader(file, header, 'date,fast,slow (one name per trial)')
  const columns = header.map((name, c) => ({name, c})).filter(({name}) => !isDateName(name))
  if (columns.length === 0) {
    throw new InputError('has no trial columns', {file, fix: 'give one column of returns per trial, with a header naming each trial'})
  }
  requireDates(file, {header, records, lineOf}, {oldestFirst: true})
  const rows = records.map((record, r) => columns.map(({name, c}) => toNumber(record[c], file, name, lineOf, r)))
  return {trials: columns.map(({name}) => name), rows}
}

/**
 * Runs a computation on what `file` holds, so that its complaint about the series
 * (too few rows, returns that never vary) names the file and `field` (its column, when
 * the series is one): the user fixes the file, not an argument they never passed.
 */
export function aboutFile<T>(file: string, field: string | undefined, compute: () => T): T {
  try {
    return compute()
  } catch (error) {
    // a complaint about another input (a flag such as --splits) is left as it is
    if (!(error instanceof InputError) || error.file !== undefined || (error.field !== undefined && error.field !== 'returns')) throw error
    const detail = error.field === undefined ? error.message : error.message.slice(`field "${error.field}": `.length)
    throw new InputError(detail, {file, field, fix: error.fix, cause: error})
  }
}

function readTable(file: string): Table {
  const text = readInputFile(file, {
    what: 'a CSV of returns',
    maxBytes: MAX_RETURNS_CSV_BYTES,
    fix: 'give the path of a CSV file of returns',
  }).toString('utf8')
  requireCsvText(text, file)
  let table: string[][]
  try {
    table = parse(text, CSV_OPTIONS)
  } catch (error) {
    throw new InputError(`is not valid CSV: ${(error as Error).message}`, {
      file,
      fix: 'write a comma-separated file with a header row',
      cause: error,
    })
  }
  if (table.length < 2) {
    throw new InputError('needs a header row and at least one row of returns', {file, fix: 'write a header row, then one row per period'})
  }
  const [header, ...records] = table
  const lineOf = sourceLines(text, CSV_OPTIONS)
  records.forEach((record, r) => {
    if (record.length !== header.length) {
      throw new InputError(`line ${lineOf(r)} has ${record.length} fields, the header has ${header.length}`, {
        file,
        fix: 'give every row one value per header column',
      })
    }
  })
  return {header, records, lineOf}
}

// relax_column_count: a row of the wrong length is refused below, naming its line and the fix
const CSV_OPTIONS = {skip_empty_lines: true, trim: true, bom: true, relax_column_count: true} as const

interface Table {
  header: string[]
  records: string[][]
  /** the source line of records[r] (an empty line skipped, or a quoted cell over several lines, moves the rest down) */
  lineOf: (r: number) => number
}

/**
 * A date column (date, datetime, timestamp or time), when the file has one, gives each period once: a repeated date
 * (a join that doubled a row) would count its period twice. For CSCV, which cuts the
 * rows into contiguous blocks of time, ISO dates must also run oldest first.
 */
function requireDates(file: string, {header, records, lineOf}: Table, opts: {oldestFirst: boolean}): void {
  const c = header.findIndex(isDateName)
  if (c === -1) return
  const field = header[c]
  // the first record of each date (its line is looked up only for a message)
  const firstRecord = new Map<string, number>()
  records.forEach((record, r) => {
    const date = record[c]!
    const earlier = firstRecord.get(date)
    if (earlier !== undefined)
      throw new InputError(`line ${lineOf(r)}: ${date} again (first on line ${lineOf(earlier)})`, {
        file,
        field,
        fix: 'give each period one row: a repeated date counts its period twice',
      })
    firstRecord.set(date, r)
  })
  if (!opts.oldestFirst || !records.every((record) => /^\d{4}-\d{2}-\d{2}/.test(record[c]!))) return
  // read as the price files' dates are (a datetime without a zone is UTC, as a bare date is): Date.parse read
  // 2024-01-02 01:00 in the machine's zone, so east of UTC it came before 2024-01-02 and the file was refused there only;
  // and a date no calendar has (2024-02-30) is refused, where its NaN compared false both ways and hid its neighbours' order
  let previous = Number.NEGATIVE_INFINITY
  for (let r = 0; r < records.length; r++) {
    const time = parseDateCell(records[r]![c]!)
    if (Number.isNaN(time))
      throw new InputError(`line ${lineOf(r)}: ${records[r]![c]} is not a date`, {
        file,
        field,
        fix: `write every date as ${DATE_FORMATS}`,
      })
    if (time < previous)
      throw new InputError(`line ${lineOf(r)}: ${records[r]![c]} is older than ${records[r - 1]![c]} on the line before`, {
        file,
        field,
        fix: 'sort the rows oldest first: CSCV cuts them into contiguous blocks of time',
      })
    previous = time
  }
}

/** A file without a header row: its first row of returns (and its date) would silently be read as the column names, and lost. */
function requireHeader(file: string, header: readonly string[], example: string): void {
  if (header.every((cell) => isNumber(cell) || /^\d{4}-\d{2}-\d{2}/.test(cell.trim())))
    throw new InputError(`line 1 holds numbers (${header.join(',')}), not column names`, {
      file,
      fix: `start the file with a header row, e.g. ${example}`,
    })
}

const isDateName = (name: string): boolean => DATE_NAMES.includes(name.trim().toLowerCase())

/** A decimal number as a person writes one (`0.0012`, `-1.5e-3`): not `0x10`, which Number() reads as 16, nor `Infinity`. */
function isNumber(cell: string | undefined): boolean {
  return cell !== undefined && parseDecimal(cell, false).ok
}

function toNumber(cell: string | undefined, file: string, column: string, lineOf: (r: number) => number, recordIndex: number): number {
  if (!isNumber(cell)) {
    throw new InputError(`line ${lineOf(recordIndex)}: ${cell === '' || cell === undefined ? 'empty' : `"${cell}"`} is not a number`, {
      file,
      field: column,
      fix: 'fill every cell with a finite decimal return (e.g. 0.0012); drop periods with missing data',
    })
  }
  return Number(cell!.trim())
}
