import {describe, expect, it} from 'vitest'
import {emptyHistogram, type MetricDef, observe, renderExposition, samplesOf} from '../../../src/core/views/exposition.js'

/** The text format by hand: escaping, special values, histograms (promtool checks real output in test/integration/metrics.test.ts). */

const gauge: MetricDef = {name: 'rigor_test', type: 'gauge', help: 'A help text with a \\ backslash\nand a line feed.', labels: ['team']}
const histogram: MetricDef = {name: 'rigor_test_seconds', type: 'histogram', help: 'Durations.', labels: ['team'], buckets: [1, 5]}

describe('the Prometheus text exposition', () => {
  it('escapes label values and help text, and names special values as Prometheus reads them', () => {
    const text = renderExposition([
      {
        def: gauge,
        series: [
          {labels: {team: 'say "hi"\\now\nthen'}, value: 1.5},
          {labels: {team: 'inf'}, value: Number.POSITIVE_INFINITY},
          {labels: {team: 'minus'}, value: Number.NEGATIVE_INFINITY},
          {labels: {team: 'nan'}, value: Number.NaN},
        ],
      },
    ])
    expect(text).toBe(
      [
        '# HELP rigor_test A help text with a \\\\ backslash\\nand a line feed.',
        '# TYPE rigor_test gauge',
        'rigor_test{team="say \\"hi\\"\\\\now\\nthen"} 1.5',
        'rigor_test{team="inf"} +Inf',
        'rigor_test{team="minus"} -Inf',
        'rigor_test{team="nan"} NaN',
        '',
      ].join('\n'),
    )
  })

  it('writes a histogram as cumulative buckets, +Inf, _sum and _count', () => {
    const observations = emptyHistogram(histogram)
    for (const value of [0.5, 1, 3, 7, 100]) observe(histogram, observations, value)
    const family = {def: histogram, series: [{labels: {team: 'a'}, observations}]}
    expect(renderExposition([family]).split('\n')).toEqual([
      '# HELP rigor_test_seconds Durations.',
      '# TYPE rigor_test_seconds histogram',
      'rigor_test_seconds_bucket{team="a",le="1"} 2',
      'rigor_test_seconds_bucket{team="a",le="5"} 3',
      'rigor_test_seconds_bucket{team="a",le="+Inf"} 5',
      'rigor_test_seconds_sum{team="a"} 111.5',
      'rigor_test_seconds_count{team="a"} 5',
      '',
    ])
    expect(samplesOf(family).map((s) => s.name)).toEqual([
      'rigor_test_seconds_bucket',
      'rigor_test_seconds_bucket',
      'rigor_test_seconds_bucket',
      'rigor_test_seconds_sum',
      'rigor_test_seconds_count',
    ])
  })

  it('a family without series still says what it is', () => {
    expect(renderExposition([{def: gauge, series: []}])).toBe(
      '# HELP rigor_test A help text with a \\\\ backslash\\nand a line feed.\n# TYPE rigor_test gauge\n',
    )
  })
})
