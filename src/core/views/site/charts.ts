import {scaleBand, scaleLinear} from 'd3-scale'
import {stack} from 'd3-shape'
import {html, type Html} from './html.js'

/**
 * Small SVG bar charts drawn when the site is built (d3-scale for the scales
 * and ticks, d3-shape's stack for the layers): status by team, verdicts per
 * day, spend per day. The page needs no script to show them; every label is
 * escaped.
 */

export interface Series {
  key: string
  label: string
  colour: string
}

export interface StackedBarsOptions {
  /** one bar per category (a day, a team) */
  categories: string[]
  series: Series[]
  value: (category: string, key: string) => number
  /** bars grow to the right, one row per category (teams); otherwise up, one column per category (days) */
  horizontal?: boolean
  title: string
  /** how a value is written on the axis */
  format?: (value: number) => string
  width?: number
  /** short labels for a long run of categories (every n-th is written) */
  categoryLabel?: (category: string) => string
}

const MARGIN = {top: 30, right: 16, bottom: 34, left: 48}
/** the widest a column of a vertical chart gets, in pixels */
const MAX_COLUMN = 48

export function stackedBars(opts: StackedBarsOptions): Html {
  const width = opts.width ?? 760
  const rows = opts.categories.map((category) => ({
    category,
    ...Object.fromEntries(opts.series.map((s) => [s.key, opts.value(category, s.key)])),
  })) as Array<Record<string, number> & {category: string}>
  const layers = stack<Record<string, number> & {category: string}>().keys(opts.series.map((s) => s.key))(rows)
  const top = Math.max(1, ...rows.map((row) => opts.series.reduce((sum, s) => sum + (row[s.key] ?? 0), 0)))
  const format = opts.format ?? ((v: number) => String(v))
  const label = opts.categoryLabel ?? ((c: string) => c)
  const left = opts.horizontal ? Math.min(200, 16 + 7 * Math.max(4, ...opts.categories.map((c) => label(c).length))) : MARGIN.left
  const height = opts.horizontal ? MARGIN.top + MARGIN.bottom + 26 * Math.max(1, opts.categories.length) : 260
  // a few days are drawn as narrow bars from the left, not stretched across the chart
  const columnsEnd = Math.min(width - MARGIN.right, left + MAX_COLUMN * Math.max(1, opts.categories.length))
  const band = scaleBand<string>()
    .domain(opts.categories)
    .range(opts.horizontal ? [MARGIN.top, height - MARGIN.bottom] : [left, columnsEnd])
    .padding(0.2)
  const value = scaleLinear()
    .domain([0, top])
    .nice()
    .range(opts.horizontal ? [left, width - MARGIN.right] : [height - MARGIN.bottom, MARGIN.top])
  const r = (n: number) => n.toFixed(1)
  const ticks = value.ticks(5).filter((t) => opts.format !== undefined || Number.isInteger(t))
  const every = Math.max(1, Math.ceil(opts.categories.length / Math.floor((width - left) / 70)))
  const bars: Html[] = []
  layers.forEach((layer, i) => {
    const series = opts.series[i]!
    for (const point of layer) {
      const [from, to] = point
      if (to - from <= 0) continue
      const category = point.data.category
      const title = html`<title>${label(category)}: ${series.label} ${format(to - from)}</title>`
      bars.push(
        opts.horizontal
          ? html`<rect x="${r(value(from))}" y="${r(band(category)!)}" width="${r(value(to) - value(from))}" height="${r(band.bandwidth())}" fill="${series.colour}">${title}</rect>`
          : html`<rect x="${r(band(category)!)}" y="${r(value(to))}" width="${r(band.bandwidth())}" height="${r(value(from) - value(to))}" fill="${series.colour}">${title}</rect>`,
      )
    }
  })
  const grid = ticks.map((t) =>
    opts.horizontal
      ? html`<line x1="${r(value(t))}" x2="${r(value(t))}" y1="${MARGIN.top}" y2="${height - MARGIN.bottom}" stroke="#e3e3e3"/><text x="${r(value(t))}" y="${height - MARGIN.bottom + 14}" text-anchor="middle">${format(t)}</text>`
      : html`<line x1="${left}" x2="${width - MARGIN.right}" y1="${r(value(t))}" y2="${r(value(t))}" stroke="#e3e3e3"/><text x="${left - 6}" y="${r(value(t) + 4)}" text-anchor="end">${format(t)}</text>`,
  )
  const categoryLabels = opts.categories.map((c, i) =>
    opts.horizontal
      ? html`<text x="${left - 6}" y="${r(band(c)! + band.bandwidth() / 2 + 4)}" text-anchor="end">${label(c)}</text>`
      : i % every === 0
        ? html`<text x="${r(band(c)! + band.bandwidth() / 2)}" y="${height - MARGIN.bottom + 14}" text-anchor="middle">${label(c)}</text>`
        : '',
  )
  let legendX = left
  const legend = opts.series.map((s) => {
    const item = html`<rect x="${legendX}" y="${MARGIN.top - 20}" width="10" height="10" fill="${s.colour}"/><text x="${legendX + 14}" y="${MARGIN.top - 11}">${s.label}</text>`
    legendX += 24 + 7 * s.label.length
    return item
  })
  return html`<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11" role="img" aria-label="${opts.title}">${grid}${bars}${categoryLabels}${legend}</svg>`
}
