import {describe, expect, it} from 'vitest'
import {paperPeriodsPerYear} from '../../../src/core/deploy/paper-rate.js'

/** `n` dates `stepDays` apart from 2015-01-05. */
const dates = (n: number, stepDays: number): string[] =>
  Array.from({length: n}, (_, i) => new Date(Date.UTC(2015, 0, 5 + i * stepDays)).toISOString().slice(0, 10))

describe('paperPeriodsPerYear: the rate the live gate reads a paper Sharpe ratio at', () => {
  it('annualises weekly prices at their own rate, as the audit does, where it took 252 unless params said otherwise', () => {
    // at 252 a weekly record's Sharpe ratio was sqrt(252 / 52) = 2.2 times the one the audit judged
    expect(paperPeriodsPerYear(undefined, 252, dates(300, 7))).toBeCloseTo(365.25 / 7, 6)
    expect(paperPeriodsPerYear(undefined, 252, dates(120, 30))).toBeCloseTo(365.25 / 30, 6)
  })

  it("takes the node's params.periods_per_year, never above audit.periods_per_year, and daily data keeps the rate", () => {
    expect(paperPeriodsPerYear(52, 252, dates(300, 7))).toBe(52)
    expect(paperPeriodsPerYear(25_200, 252, dates(300, 1))).toBe(252)
    expect(paperPeriodsPerYear(undefined, 252, dates(300, 1))).toBe(252)
    expect(paperPeriodsPerYear('52', 252, dates(300, 1))).toBe(252)
  })
})
