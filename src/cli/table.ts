import Table from 'cli-table3'
import {colorOn} from './color.js'

export interface TableOptions {
  /** the stream the table goes to (default stdout): a table on a terminal, tab-separated columns otherwise */
  stream?: {isTTY?: boolean}
  env?: NodeJS.ProcessEnv
}

/** A table on a terminal (coloured unless NO_COLOR), tab-separated columns otherwise (pipes, CI logs). */
export function renderTable(head: string[], rows: Array<Array<string | number>>, opts: TableOptions = {}): string {
  const stream = opts.stream ?? process.stdout
  if (!stream.isTTY) return [head, ...rows].map((r) => r.join('\t')).join('\n')
  // cli-table3 colours its head and borders unless both style lists are empty
  const style = colorOn(stream, opts.env) ? {head: ['cyan'], border: ['grey']} : {head: [], border: []}
  const table = new Table({head, style})
  table.push(...rows.map((r) => r.map(String)))
  return table.toString()
}
