import {equityChartSvg} from '../../auditor/chart.js'
import {seriesByDate} from '../../auditor/csv.js'
import {RigorError} from '../../errors.js'
import {escapeHtml} from './html.js'

/** The equity and drawdown chart of a committed returns.csv; a file that cannot be read gives a chart that says why. */
export function returnsChartSvg(text: string): string {
  try {
    const returns = seriesByDate(text, 'return')
    return equityChartSvg([...returns.entries()], {title: 'equity (x initial) and drawdown of out/returns.csv'})
  } catch (err) {
    if (!(err instanceof RigorError)) throw err
    return `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="60" font-family="Helvetica, Arial, sans-serif" font-size="13"><text x="10" y="34" fill="#c62828">returns.csv cannot be drawn: ${escapeHtml(err.message)}</text></svg>\n`
  }
}
