import Table from 'cli-table3'

/** A table on a terminal, tab-separated columns otherwise (pipes, CI logs). */
export function renderTable(head: string[], rows: Array<Array<string | number>>): string {
  if (!process.stdout.isTTY) return [head, ...rows].map((r) => r.join('\t')).join('\n')
  const table = new Table({head, style: {head: ['cyan'], border: ['grey']}})
  table.push(...rows.map((r) => r.map(String)))
  return table.toString()
}
