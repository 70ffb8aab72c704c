import {describe, expect, it} from 'vitest'
import {auditPeriodsPerYear} from '../../../src/core/auditor/periods-per-year.js'

/** `n` dates `stepDays` apart from 2015-01-05, skipping weekends when `weekdays`. */
function dates(n: number, stepDays: number, weekdays = false): string[] {
  const out: string[] = []
  for (let t = Date.UTC(2015, 0, 5); out.length < n; t += stepDays * 86_400_000) {
    const day = new Date(t).getUTCDay()
    if (weekdays && (day === 0 || day === 6)) continue
    out.push(new Date(t).toISOString().slice(0, 10))
  }
  return out
}

describe('auditPeriodsPerYear', () => {
  it('keeps the configured rate for daily data, trading days or every day', () => {
    expect(auditPeriodsPerYear(dates(1000, 1, true), 252)).toBe(252)
    expect(auditPeriodsPerYear(dates(1000, 1), 252)).toBe(252)
  })

  it('takes the rate the dates show for weekly and monthly data', () => {
    expect(auditPeriodsPerYear(dates(300, 7), 252)).toBeCloseTo(365.25 / 7, 6)
    const monthly = Array.from({length: 120}, (_, i) => new Date(Date.UTC(2010, i, 1)).toISOString().slice(0, 10))
    expect(auditPeriodsPerYear(monthly, 252)).toBeCloseTo(12, 1)
  })

  it('reads the dates in every spelling a data file may give them: YYYYMMDD, Unix seconds and milliseconds', () => {
    const weekly = dates(300, 7)
    const millis = weekly.map((d) => Date.parse(d))
    expect(
      auditPeriodsPerYear(
        weekly.map((d) => d.replaceAll('-', '')),
        252,
      ),
    ).toBeCloseTo(365.25 / 7, 6)
    expect(
      auditPeriodsPerYear(
        millis.map((t) => String(t / 1000)),
        252,
      ),
    ).toBeCloseTo(365.25 / 7, 6)
    expect(auditPeriodsPerYear(millis.map(String), 252)).toBeCloseTo(365.25 / 7, 6)
  })

  it('never raises the rate, in any order, and keeps it when the dates cannot say', () => {
    expect(auditPeriodsPerYear(dates(300, 7).reverse(), 252)).toBeCloseTo(365.25 / 7, 6)
    expect(auditPeriodsPerYear(dates(300, 7), 52)).toBe(52)
    expect(auditPeriodsPerYear(['2020-01-01', '2020-01-08'], 252)).toBe(252)
    expect(auditPeriodsPerYear(['x', 'y', 'z'], 252)).toBe(252)
  })
})
