import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {InputError} from '../../../src/core/errors.js'
import {minimumTrackRecordLength} from '../../../src/core/stats/mintrl.js'
import {probabilisticSharpeRatio} from '../../../src/core/stats/psr.js'
import {thrownInputError} from './helpers.js'

describe('minimumTrackRecordLength', () => {
  it('reproduces the MinTRL figures of Bailey & López de Prado (2012)', () => {
    // "The Sharpe Ratio Efficient Frontier", MinTRL section (Figure 8 and its text): an
    // annualised SR of 2 tested against a true SR of 1 at 95% with normal returns needs
    // about 2.73 years of daily or 2.83 years of weekly data; with monthly returns, SR 3
    // against 2.5, skewness -0.72 and kurtosis 5.78, about 27.35 years. Conversions: the
    // formula takes per-period ratios (SR/sqrt(periods a year)) and returns periods, so the
    // result is divided by the periods a year. Values to 1e-6 as recomputed by esvhd/pypbo:
    // 2.7311878017281761, 2.8288335869452368 and 27.352920196040301 years.
    const years = (annualSharpe: number, annualBenchmark: number, periodsPerYear: number, skewness = 0, kurtosis = 3): number =>
      minimumTrackRecordLength({
        sharpe: annualSharpe / Math.sqrt(periodsPerYear),
        benchmark: annualBenchmark / Math.sqrt(periodsPerYear),
        skewness,
        kurtosis,
        confidence: 0.95,
      }) / periodsPerYear
    expect(years(2, 1, 250)).toBeCloseTo(2.7311878017281761, 6)
    expect(years(2, 1, 52)).toBeCloseTo(2.8288335869452368, 6)
    expect(years(3, 2.5, 12, -0.72, 5.78)).toBeCloseTo(27.352920196040301, 6)
  })

  it('is the track record length at which the PSR reaches the confidence level', () => {
    // PSR is only defined for whole observations, so MinTRL must sit between the last
    // length that falls short and the first that reaches the confidence level.
    fc.assert(
      fc.property(
        fc.double({min: 0.02, max: 1, noNaN: true}),
        fc.double({min: 0.01, max: 1, noNaN: true}),
        fc.double({min: -2, max: 0.5, noNaN: true}),
        fc.double({min: 0, max: 10, noNaN: true}),
        fc.constantFrom(0.9, 0.95, 0.99),
        (sharpe, gap, skewness, extraKurtosis, confidence) => {
          const benchmark = sharpe - gap
          const kurtosis = skewness ** 2 + 1 + extraKurtosis
          fc.pre(1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe ** 2 > 1e-3)
          const mintrl = minimumTrackRecordLength({sharpe, benchmark, skewness, kurtosis, confidence})
          fc.pre(mintrl < 1e7)
          const psrAt = (nObs: number) => probabilisticSharpeRatio({sharpe, benchmark, nObs, skewness, kurtosis})
          expect(psrAt(Math.max(2, Math.ceil(mintrl)))).toBeGreaterThanOrEqual(confidence - 1e-12)
          if (Math.floor(mintrl) >= 2 && Math.floor(mintrl) < mintrl) expect(psrAt(Math.floor(mintrl))).toBeLessThan(confidence)
        },
      ),
    )
  })

  it('for normal returns and benchmark 0 is 1 + (1 + SR²/2)·(z/SR)²', () => {
    const z = 1.6448536269514715 // Φ⁻¹(0.95), Python statistics.NormalDist
    expect(minimumTrackRecordLength({sharpe: 0.25})).toBeCloseTo(1 + (1 + 0.25 ** 2 / 2) * (z / 0.25) ** 2, 9)
  })

  it('grows with the confidence demanded and with negative skewness', () => {
    const base = {sharpe: 0.2, benchmark: 0.05}
    expect(minimumTrackRecordLength({...base, confidence: 0.99})).toBeGreaterThan(minimumTrackRecordLength({...base, confidence: 0.95}))
    expect(minimumTrackRecordLength({...base, skewness: -1, kurtosis: 3})).toBeGreaterThan(minimumTrackRecordLength(base))
  })

  it('has no answer when the Sharpe ratio does not beat the benchmark', () => {
    const error = thrownInputError(() => minimumTrackRecordLength({sharpe: 0.1, benchmark: 0.1}))
    expect(error.field).toBe('sharpe')
    expect(error.fix).toMatch(/above the benchmark/)
    expect(() => minimumTrackRecordLength({sharpe: 0.1, confidence: 1})).toThrow(InputError)
    expect(() => minimumTrackRecordLength({sharpe: 0.1, confidence: 0.4})).toThrow(/coin toss/)
  })

  it('refuses an edge so small that the track record length overflows, never Infinity', () => {
    // (z / 1e-200)² is Infinity in double precision: `rigor stats mintrl --sharpe 1e-200` printed "MinTRL Infinity" and mintrl: null
    const error = thrownInputError(() => minimumTrackRecordLength({sharpe: 1e-200}))
    expect(error.field).toBe('sharpe')
    expect(error.message).toMatch(/so close to the benchmark/)
    expect(() => minimumTrackRecordLength({sharpe: 1e-300, benchmark: -1e-300})).toThrow(InputError)
    expect(Number.isFinite(minimumTrackRecordLength({sharpe: 1e-100}))).toBe(true)
  })
})
