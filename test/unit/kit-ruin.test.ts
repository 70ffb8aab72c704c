import {describe, expect, it} from 'vitest'
import {pathMetrics, returnMetrics} from '../../src/core/backtest/metrics.js'

const f64 = (values: number[]): Float64Array => Float64Array.from(values)

describe('a period that loses more than the whole equity ruins the book', () => {
  it('stops the equity at 0: drawdown 1, total return -1, whatever follows', () => {
    // equity 1 -> 1.1 -> 1.1 * (1 - 1.5) = -0.55, ruined: 0 from there on, however the later periods go
    //   (compounding on would give -0.55 * (1 - 2) = 0.55 and a drawdown of 1 + 0.55 / 1.1 = 1.5)
    const ruined = pathMetrics(f64([0.1, -1.5, -2, 0.5]))
    expect(ruined.max_drawdown).toBe(1)
    expect(ruined.total_return).toBe(-1)
    // the figures that do not compound are the returns' own: 1 win of 4 non-zero periods, sqrt((2.25 + 4) / 4) down
    expect(ruined.win_rate).toBe(0.5)
    expect(ruined.downside_deviation).toBeCloseTo(Math.sqrt(6.25 / 4), 12)
  })

  it('keeps the compounded figures numbers after ruin (no NaN, which JSON writes as null)', () => {
    // compounding through ruin went -2, 2e300, -Infinity, then -Infinity * 0 = NaN
    const m = returnMetrics(f64([-3, -1e300, -1e300, -1]), 252)
    expect(m.max_drawdown).toBe(1)
    expect(m.total_return).toBe(-1)
    expect(Number.isNaN(m.max_drawdown)).toBe(false)
  })

  it('leaves a book that never reaches 0 as it was: 1 -> 0.5 -> 0.05 -> 0.1, drawdown 0.95, total return -0.9', () => {
    const m = pathMetrics(f64([-0.5, -0.9, 1]))
    expect(m.max_drawdown).toBeCloseTo(0.95, 12)
    expect(m.total_return).toBeCloseTo(-0.9, 12)
  })
})
