import {parse} from 'csv-parse/sync'
import {sourceLines} from '../data/csv-text.js'
import {readSeries, seriesColumns, seriesValue, type SeriesKind} from '../data/series-file.js'

/** A CSV as a header and rows of strings: what altering a runner's data needs, whatever its columns. */
export interface Table {
  header: string[]
  rows: string[][]
}

export function parseTable(text: string): Table {
  const records = parse(text, {bom: true, skip_empty_lines: true, trim: true}) as string[][]
  return {header: records[0] ?? [], rows: records.slice(1)}
}

/** `date,<value>` series (returns.csv, positions.csv) as a map from date to number, by the one column rule of data/series-file.ts. */
export const seriesByDate = (text: string, kind: SeriesKind): Map<string, number> => readSeries(text, kind)

/**
 * The same, without the values that are not finite numbers: what the statistics
 * take from a committed file (a NaN would stop them). The audited node's own
 * file is also judged by seriesFault; a family member's is only counted.
 */
export const finiteSeriesByDate = (text: string, kind: SeriesKind): Map<string, number> =>
  new Map([...readSeries(text, kind)].filter(([, value]) => Number.isFinite(value)))

const SERIES_CSV = {bom: true, skip_empty_lines: true, trim: true, relax_column_count: true} as const

/** A row of a `date,<value>` file the auditor cannot take as it stands, with its line (1-based, the header is line 1). */
export interface SeriesFault {
  line: number
  date: string
  /** what is wrong, as a sentence's end: `gives 2024-01-03 again (first on line 4)`, `has "NaN", not a number` */
  problem: string
}

/**
 * The first row that is not one finite value for one new date. Read by date, a
 * later row hides an earlier one of the same date: a returns.csv that repeats
 * every date with a made-up return before the real one would pass the
 * accounting check on the real rows while anyone reading the file sees the
 * made-up ones. A value that is not a number cannot be checked or counted once
 * the series has started; before its first number (a warm-up a dataframe wrote
 * as NaN) a row without one is a date not reported yet, as a missing row is.
 */
export function seriesFault(text: string, kind: SeriesKind): SeriesFault | undefined {
  const records = parse(text, SERIES_CSV) as string[][]
  const [header = [], ...rows] = records
  const {date, value} = seriesColumns(header, kind)
  // the line in the file, past skipped empty lines (looked up only for the fault found)
  const lineOf = sourceLines(text, SERIES_CSV)
  const seen = new Map<string, number>()
  let started = false
  for (let i = 0; i < rows.length; i++) {
    const day = rows[i]![date] ?? ''
    const earlier = seen.get(day)
    if (earlier !== undefined) return {line: lineOf(i), date: day, problem: `gives ${day} again (first on line ${lineOf(earlier)})`}
    seen.set(day, i)
    const cell = rows[i]![value]
    const finite = Number.isFinite(seriesValue(cell))
    if (finite) started = true
    else if (started) return {line: lineOf(i), date: day, problem: `has ${cell ? `"${cell}"` : 'no value'} for ${day}, not a finite number`}
  }
  return undefined
}
