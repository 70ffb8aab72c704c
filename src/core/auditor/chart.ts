import {scaleLinear, scaleLog, scaleUtc} from 'd3-scale'
import {area, line} from 'd3-shape'
import {parseDateCell} from '../data/price-file.js'

/**
 * The audit report's equity chart as a standalone SVG (GitHub renders it in a
 * pull request): the compounded equity of the returns with a y axis, ticks and
 * gridlines, dates on the x axis, an optional log scale, a drawdown panel below,
 * and shaded periods (research / holdout). Scales and ticks come from d3-scale,
 * paths from d3-shape; the file has no script and no external reference.
 */

export interface ChartPeriod {
  /** first and last date of the period (any date spelling the price reader accepts) */
  from: string
  to: string
  kind: 'research' | 'holdout'
  /** the label drawn in the shaded band; default: the kind */
  label?: string
}

export interface ChartOptions {
  title: string
  /** a log-scaled equity axis (equal distances are equal percentage moves) */
  log?: boolean
  periods?: ChartPeriod[]
  width?: number
}

const SHADE: Record<ChartPeriod['kind'], string> = {research: '#eaf2ff', holdout: '#fff1d6'}
const EQUITY_HEIGHT = 250
const DRAWDOWN_HEIGHT = 110
const GAP = 26
const MARGIN = {top: 40, right: 20, bottom: 30, left: 58}

export function equityChartSvg(returns: ReadonlyArray<readonly [string, number]>, opts: ChartOptions): string {
  const width = opts.width ?? 760
  const height = MARGIN.top + EQUITY_HEIGHT + GAP + DRAWDOWN_HEIGHT + MARGIN.bottom
  const innerWidth = width - MARGIN.left - MARGIN.right
  let equity = 1
  let peak = 1
  const points = returns.map(([date, r]) => {
    // a book at or below 0 is ruined and stays there, as the kit's metrics count it (backtest/metrics.ts)
    equity = Math.max(0, equity * (1 + r))
    peak = Math.max(peak, equity)
    return {time: parseDateCell(date), equity, drawdown: equity / peak - 1}
  })
  const datesOk = points.length > 0 && points.every((p) => Number.isFinite(p.time))
  const xValue = (p: {time: number}, i: number) => (datesOk ? p.time : i)
  const first = points.length ? xValue(points[0]!, 0) : 0
  const last = points.length ? xValue(points[points.length - 1]!, points.length - 1) : 1
  const xAxis = timeAxis(datesOk, first, last, [MARGIN.left, MARGIN.left + innerWidth], Math.max(2, Math.floor(innerWidth / 110)))
  const px = xAxis.map

  const values = [1, ...points.map((p) => p.equity)]
  const lowest = Math.min(...values)
  const highest = Math.max(...values)
  // a log axis needs positive values: a wiped-out book falls back to the linear one
  const log = Boolean(opts.log) && lowest > 0
  const equityTop = MARGIN.top
  const equityBottom = MARGIN.top + EQUITY_HEIGHT
  const top = highest === lowest ? lowest * 1.01 : highest
  // a log axis is not rounded out to powers of ten (that would flatten a 50% gain into a line); its ticks are the linear ones of its domain when d3's decades give fewer than three
  const y = log ? scaleLog().domain([lowest / 1.02, top * 1.02]) : scaleLinear().domain([lowest, top]).nice()
  y.range([equityBottom, equityTop])
  const logTicks = log ? (y as ReturnType<typeof scaleLog>).ticks(5) : []
  const yTicks = !log ? y.ticks(6) : logTicks.length >= 3 && logTicks.length <= 10 ? logTicks : scaleLinear().domain(y.domain()).ticks(5)
  const yFormat = log ? scaleLinear().domain(y.domain()).tickFormat(5, '.2f') : y.tickFormat(6, '.2f')

  const ddTop = equityBottom + GAP
  const ddBottom = ddTop + DRAWDOWN_HEIGHT
  const worst = Math.min(0, ...points.map((p) => p.drawdown))
  const dd = scaleLinear()
    .domain([worst < 0 ? worst : -0.01, 0])
    .range([ddBottom, ddTop])
    .nice()
  const ddTicks = dd.ticks(4)
  const ddFormat = dd.tickFormat(4, '.0%')

  // each point's x once; a long series keeps only what one pixel column can show
  const xs = points.map((p, i) => px(xValue(p, i)))
  const equityPath = line<number>()
    .x((i) => xs[i]!)
    .y((i) => y(points[i]!.equity))
    .digits(1)(columnExtremes(xs, (i) => points[i]!.equity))
  const ddPath = area<number>()
    .x((i) => xs[i]!)
    .y0(() => dd(0))
    .y1((i) => dd(points[i]!.drawdown))
    .digits(1)(columnExtremes(xs, (i) => points[i]!.drawdown))

  const r = (n: number) => n.toFixed(1)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11" role="img" aria-label="${escapeXml(opts.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`,
    `<text x="${width - MARGIN.right}" y="18" text-anchor="end" fill="#444444">final ${points.length ? points[points.length - 1]!.equity.toFixed(2) : '1.00'}x, max drawdown ${(-worst * 100).toFixed(1)}%, ${points.length} periods</text>`,
  ]
  // shaded periods first, under everything else
  for (const period of opts.periods ?? []) {
    const from = parseDateCell(period.from)
    const to = parseDateCell(period.to)
    if (!datesOk || !Number.isFinite(from) || !Number.isFinite(to)) continue
    const x0 = Math.max(MARGIN.left, px(from))
    const x1 = Math.min(MARGIN.left + innerWidth, px(to))
    if (x1 <= x0) continue
    out.push(
      `<rect class="period ${period.kind}" x="${r(x0)}" y="${equityTop}" width="${r(x1 - x0)}" height="${ddBottom - equityTop}" fill="${SHADE[period.kind]}"/>`,
    )
    out.push(`<text x="${r(x0 + 4)}" y="${equityTop + 12}" fill="#555555">${escapeXml(period.label ?? period.kind)}</text>`)
  }
  // gridlines and axes
  for (const tick of yTicks) {
    const ty = y(tick)
    out.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + innerWidth}" y1="${r(ty)}" y2="${r(ty)}" stroke="#e3e3e3"/>`)
    out.push(`<text class="y-tick" x="${MARGIN.left - 6}" y="${r(ty + 4)}" text-anchor="end">${escapeXml(yFormat(tick))}</text>`)
  }
  for (const tick of ddTicks) {
    const ty = dd(tick)
    out.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + innerWidth}" y1="${r(ty)}" y2="${r(ty)}" stroke="#e3e3e3"/>`)
    out.push(`<text class="dd-tick" x="${MARGIN.left - 6}" y="${r(ty + 4)}" text-anchor="end">${escapeXml(ddFormat(tick))}</text>`)
  }
  for (const tick of xAxis.ticks) {
    const tx = px(tick)
    out.push(`<line class="grid" x1="${r(tx)}" x2="${r(tx)}" y1="${equityTop}" y2="${ddBottom}" stroke="#f0f0f0"/>`)
    out.push(`<text class="x-tick" x="${r(tx)}" y="${ddBottom + 16}" text-anchor="middle">${escapeXml(xAxis.label(tick))}</text>`)
  }
  if (lowest <= 1 && highest >= 1)
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + innerWidth}" y1="${r(y(1))}" y2="${r(y(1))}" stroke="#999999" stroke-dasharray="4 3"/>`,
    )
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${equityTop}" y2="${equityBottom}" stroke="#333333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${ddTop}" y2="${ddBottom}" stroke="#333333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + innerWidth}" y1="${ddBottom}" y2="${ddBottom}" stroke="#333333"/>`,
    `<text transform="translate(14 ${(equityTop + equityBottom) / 2}) rotate(-90)" text-anchor="middle" fill="#444444">equity (x initial${log ? ', log scale' : ''})</text>`,
    `<text transform="translate(14 ${(ddTop + ddBottom) / 2}) rotate(-90)" text-anchor="middle" fill="#444444">drawdown</text>`,
  )
  if (points.length) {
    out.push(`<path class="drawdown" d="${ddPath ?? ''}" fill="#f4b6b6" stroke="#c62828" stroke-width="0.8"/>`)
    out.push(`<path class="equity" d="${equityPath ?? ''}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>`)
  }
  out.push('</svg>', '')
  return out.join('\n')
}

/**
 * The indices of the points to draw: in each pixel column, the first, the
 * lowest, the highest and the last point, in order. The drawn line is the same
 * as with every point (what a column shows is its range and where it starts
 * and ends), and a ten-year daily series costs what a short one does.
 */
export function columnExtremes(xs: readonly number[], value: (i: number) => number): number[] {
  const kept: number[] = []
  let start = 0
  while (start < xs.length) {
    const column = Math.floor(xs[start]!)
    let end = start
    let low = start
    let high = start
    while (end + 1 < xs.length && Math.floor(xs[end + 1]!) === column) {
      end++
      if (value(end) < value(low)) low = end
      if (value(end) > value(high)) high = end
    }
    for (const i of [...new Set([start, low, high, end])].sort((a, b) => a - b)) kept.push(i)
    start = end + 1
  }
  return kept
}

/** The x axis over dates (UTC) or, when a date cannot be read, over period numbers. */
function timeAxis(dates: boolean, first: number, last: number, range: [number, number], count: number) {
  if (dates) {
    const scale = scaleUtc()
      .domain([new Date(first), new Date(last)])
      .range(range)
    const format = scale.tickFormat()
    // a time scale is linear in milliseconds: mapping the numbers directly saves a Date per point
    const linear = scaleLinear().domain([first, last]).range(range)
    return {
      map: (v: number) => linear(v),
      ticks: scale.ticks(count).map((d) => d.getTime()),
      label: (v: number) => format(new Date(v)),
    }
  }
  const scale = scaleLinear()
    .domain([first, Math.max(last, first + 1)])
    .range(range)
  const format = scale.tickFormat(count, 'd')
  return {map: (v: number) => scale(v), ticks: scale.ticks(count), label: (v: number) => `period ${format(v)}`}
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
