import Table from 'cli-table3'
import {colorOn, cyan} from './color.js'
import {controlsEscaped} from '../core/validation.js'

export interface TableOptions {
  /** the stream the table goes to (default stdout): a table on a terminal, tab-separated columns otherwise */
  stream?: {isTTY?: boolean}
  env?: NodeJS.ProcessEnv
}

/** A table on a terminal (coloured unless NO_COLOR), tab-separated columns otherwise (pipes, CI logs). */
export function renderTable(head: string[], rows: Array<Array<string | number>>, opts: TableOptions = {}): string {
  const stream = opts.stream ?? process.stdout
  // a cell may quote a runner, an agent or the branch (a step's error, a run's note): one line, its escape sequences escaped
  // a head may name a runner's metric (rigor rank --metric)
  head = head.map(controlsEscaped)
  rows = rows.map((row) => row.map((cell) => (typeof cell === 'string' ? controlsEscaped(cell) : cell)))
  if (!stream.isTTY) return [head, ...rows].map((r) => r.join('\t')).join('\n')
  // cli-table3's own colours follow @colors/colors, which turns itself off whenever CI is
  // set; rigor's rule is colorOn's alone, so the head is coloured here and its styles stay empty
  const colour = colorOn(stream, opts.env)
  const table = new Table({head: colour ? head.map(cyan) : head, style: {head: [], border: []}})
  table.push(...rows.map((r) => r.map(String)))
  return table.toString()
}
