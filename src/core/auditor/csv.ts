import {parse} from 'csv-parse/sync'
import {readSeries, type SeriesKind} from '../data/series-file.js'

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
