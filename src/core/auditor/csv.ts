import {parse} from 'csv-parse/sync'
import {readSeries, seriesColumns, type SeriesKind} from '../data/series-file.js'

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

/** A date a `date,<value>` file gives more than once, with the lines (1-based, the header is line 1) of its first two rows. */
export interface RepeatedDate {
  date: string
  lines: [number, number]
}

/**
 * The first date the series gives twice. Read by date, the later row hides the
 * earlier one: a returns.csv that repeats every date with a made-up return
 * before the real one would pass the accounting check on the real rows while
 * anyone reading the file sees the made-up ones.
 */
export function repeatedDate(text: string, kind: SeriesKind): RepeatedDate | undefined {
  const records = parse(text, {bom: true, skip_empty_lines: true, trim: true, relax_column_count: true}) as string[][]
  const [header = [], ...rows] = records
  const {date} = seriesColumns(header, kind)
  const seen = new Map<string, number>()
  for (let i = 0; i < rows.length; i++) {
    const day = rows[i]![date] ?? ''
    const earlier = seen.get(day)
    if (earlier !== undefined) return {date: day, lines: [earlier + 2, i + 2]}
    seen.set(day, i)
  }
  return undefined
}
