import {describe, expect, it} from 'vitest'
import {columnExtremes, equityChartSvg} from '../../../src/core/auditor/chart.js'

describe('the equity chart of a long series', () => {
  it('keeps the first, lowest, highest and last point of each pixel column, in order', () => {
    const xs = [0.1, 0.5, 0.9, 1.2, 1.4, 2.0, 3.7]
    const values = [5, 1, 9, 3, 4, 7, 0]
    expect(columnExtremes(xs, (i) => values[i]!)).toEqual([0, 1, 2, 3, 4, 5, 6])
    const many = Array.from({length: 1000}, (_, i) => i / 100)
    const wave = (i: number) => Math.sin(i)
    const kept = columnExtremes(many, wave)
    expect(kept.length).toBeLessThanOrEqual(4 * 10)
    for (let column = 0; column < 10; column++) {
      const inColumn = many.map((x, i) => [x, i] as const).filter(([x]) => Math.floor(x) === column)
      const lowest = inColumn.reduce((a, b) => (wave(b[1]) < wave(a[1]) ? b : a))[1]
      const highest = inColumn.reduce((a, b) => (wave(b[1]) > wave(a[1]) ? b : a))[1]
      for (const i of [inColumn[0]![1], lowest, highest, inColumn.at(-1)![1]]) expect(kept).toContain(i)
    }
    expect([...kept].sort((a, b) => a - b)).toEqual(kept)
  })

  it('draws ten years of daily returns with a path of at most four points a pixel', () => {
    const returns = Array.from(
      {length: 2520},
      (_, t) => [new Date(Date.UTC(2015, 0, 1) + t * 86_400_000).toISOString().slice(0, 10), 0.0004 + 0.01 * Math.sin(t * 1.7)] as const,
    )
    const svg = equityChartSvg(returns, {title: 't'})
    const path = /class="equity" d="([^"]+)"/.exec(svg)![1]!
    const points = path.split(/[ML]/).filter(Boolean).length
    expect(points).toBeGreaterThan(600)
    expect(points).toBeLessThanOrEqual(4 * 682)
    expect(svg).toContain('2520 periods')
  })
})
