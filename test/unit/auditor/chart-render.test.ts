import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {equityChartSvg} from '../../../src/core/auditor/chart.js'
import {HAS_CHROMIUM, launchChromium} from '../../helpers/browser.js'

/** 750 trading days of a drifting series with one deep drawdown, dated like a price file. */
function returns(): Array<[string, number]> {
  const out: Array<[string, number]> = []
  let state = 12345
  const rnd = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
  for (let t = 0; t < 750; t++) {
    const date = new Date(Date.UTC(2021, 0, 4) + Math.floor(t * 1.4) * 86_400_000).toISOString().slice(0, 10)
    out.push([date, 0.0006 + 0.01 * (rnd() - 0.5) * 2 - (t > 300 && t < 360 ? 0.004 : 0)])
  }
  return out
}

describe('the audit chart', () => {
  const series = returns()
  const periods = [
    {from: series[0]![0], to: series[599]![0], kind: 'research' as const},
    {from: series[600]![0], to: series[749]![0], kind: 'holdout' as const},
  ]

  it('has y ticks with gridlines, dated x ticks, a drawdown panel and shaded periods', () => {
    const svg = equityChartSvg(series, {title: 'node: out-of-sample equity', periods})
    expect(svg.match(/class="y-tick"/g)!.length).toBeGreaterThanOrEqual(3)
    expect(svg.match(/class="dd-tick"/g)!.length).toBeGreaterThanOrEqual(2)
    const xTicks = [...svg.matchAll(/class="x-tick"[^>]*>([^<]*)</g)].map((m) => m[1])
    expect(xTicks.length).toBeGreaterThanOrEqual(3)
    expect(xTicks.some((label) => /20\d\d/.test(label!))).toBe(true)
    expect(svg).toContain('class="drawdown"')
    expect(svg).toContain('class="period research"')
    expect(svg).toContain('class="period holdout"')
    expect(equityChartSvg(series, {title: 't', log: true})).toContain('log scale')
  })

  it('a book that loses more than everything is ruined and stays at 0: no equity below 0, no drawdown past 100%', () => {
    const svg = equityChartSvg(
      [
        ['2024-01-01', 0.1],
        ['2024-01-02', -1.5],
        ['2024-01-03', 0.5],
        ['2024-01-04', -0.2],
      ],
      {title: 't'},
    )
    const labels = (kind: string) =>
      [...svg.matchAll(new RegExp(`class="${kind}"[^>]*>([^<]*)<`, 'g'))].map((m) => Number(m[1]!.replace('−', '-').replace('%', '')))
    expect(Math.min(...labels('dd-tick'))).toBe(-100)
    expect(Math.min(...labels('y-tick'))).toBe(0)
  })

  it.skipIf(!HAS_CHROMIUM)(
    'renders in Chromium and is screenshotted (skipped without /usr/bin/chromium: apt-get install chromium)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rigor-chart-'))
      const browser = await launchChromium()
      try {
        for (const log of [false, true]) {
          const file = join(dir, `chart${log ? '-log' : ''}.svg`)
          writeFileSync(file, equityChartSvg(series, {title: 'node: out-of-sample equity', periods, log}))
          const page = await browser.newPage()
          await page.setViewport({width: 800, height: 500})
          await page.goto(`file://${file}`)
          const facts = await page.evaluate(() => {
            const svg = document.querySelector('svg') as SVGSVGElement | null
            const equity = document.querySelector('path.equity') as SVGPathElement | null
            const drawdown = document.querySelector('path.drawdown') as SVGPathElement | null
            return {
              parsed: svg !== null && document.querySelector('parsererror') === null,
              width: svg?.getBoundingClientRect().width ?? 0,
              equityLength: equity?.getTotalLength() ?? 0,
              equityBox: equity ? equity.getBBox().width : 0,
              drawdownHeight: drawdown ? drawdown.getBBox().height : 0,
              labels: [...document.querySelectorAll('text')].map((t) => t.getBBox().width).filter((w) => w > 0).length,
            }
          })
          expect(facts.parsed).toBe(true)
          expect(facts.width).toBe(760)
          expect(facts.equityLength).toBeGreaterThan(600)
          expect(facts.equityBox).toBeGreaterThan(600)
          expect(facts.drawdownHeight).toBeGreaterThan(10)
          expect(facts.labels).toBeGreaterThan(10)
          const png = await page.screenshot({path: join(dir, `chart${log ? '-log' : ''}.png`) as `${string}.png`, fullPage: true})
          expect(png.length).toBeGreaterThan(10_000)
          await page.close()
        }
      } finally {
        await browser.close()
        rmSync(dir, {recursive: true, force: true})
      }
    },
    60_000,
  )
})
