import {parse} from 'csv-parse/sync'

/** A CSV as a header and rows of strings: what altering a runner's data needs, whatever its columns. */
export interface Table {
  header: string[]
  rows: string[][]
}

export function parseTable(text: string): Table {
  const records = parse(text, {bom: true, skip_empty_lines: true, trim: true}) as string[][]
  return {header: records[0] ?? [], rows: records.slice(1)}
}

/** `date,<value>` series (returns.csv, positions.csv) as a map from date to number. */
export function seriesByDate(text: string): Map<string, number> {
  const t = parseTable(text)
  const dateCol = Math.max(0, t.header.indexOf('date'))
  const valueCol = t.header.length - 1 === dateCol ? 0 : t.header.length - 1
  return new Map(t.rows.map((r) => [r[dateCol]!, Number(r[valueCol])]))
}
