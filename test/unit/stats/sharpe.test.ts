import {sampleStandardDeviation} from 'simple-statistics'
import {describe, expect, it} from 'vitest'
import {InputError} from '../../../src/core/errors.js'
import {
  annualiseSharpe,
  estimateSharpe,
  perPeriodSharpe,
  sharpeRatio,
  sharpeStandardError,
  sharpeVarianceFactor,
} from '../../../src/core/stats/sharpe.js'
import {normalGenerator, thrownInputError, uniformGenerator} from './helpers.js'

describe('sharpeRatio', () => {
  it('is the mean over the sample standard deviation, per period', () => {
    // 1..5: mean 3, sample sd sqrt(2.5)
    expect(sharpeRatio([1, 2, 3, 4, 5])).toBeCloseTo(3 / Math.sqrt(2.5), 14)
    // a risk-free rate is subtracted from every return before the ratio
    expect(sharpeRatio([1, 2, 3, 4, 5], {riskFreePerPeriod: 1})).toBeCloseTo(2 / Math.sqrt(2.5), 14)
  })

  it('annualises only when asked, by sqrt(periods per year)', () => {
    const estimate = estimateSharpe([0.01, -0.02, 0.015, 0.003, 0.007, -0.001])
    expect(estimate.annualised).toBeUndefined()
    const annual = estimateSharpe([0.01, -0.02, 0.015, 0.003, 0.007, -0.001], {periodsPerYear: 252})
    expect(annual.sharpe).toBe(estimate.sharpe)
    expect(annual.annualised?.sharpe).toBeCloseTo(estimate.sharpe * Math.sqrt(252), 12)
    expect(annual.annualised?.standardError).toBeCloseTo(estimate.standardError * Math.sqrt(252), 12)
    expect(perPeriodSharpe(annualiseSharpe(0.1, 12), 12)).toBeCloseTo(0.1, 14)
  })
})

describe('sharpeStandardError', () => {
  it("reduces to Lo's (2002) sqrt((1 + SR²/2)/(T-1)) for normal returns", () => {
    for (const sharpe of [0, 0.05, 0.3, 1.2]) {
      for (const nObs of [24, 250, 5000]) {
        expect(sharpeStandardError({sharpe, nObs})).toBeCloseTo(Math.sqrt((1 + sharpe ** 2 / 2) / (nObs - 1)), 14)
      }
    }
  })

  it('is the Mertens (2002) form with skewness and kurtosis', () => {
    // 1 - γ3·SR + (γ4 - 1)/4·SR² at SR = 0.5, γ3 = -1, γ4 = 6: 1 + 0.5 + 1.25·0.25 = 1.8125
    expect(sharpeVarianceFactor(0.5, -1, 6)).toBeCloseTo(1.8125, 14)
    expect(sharpeStandardError({sharpe: 0.5, nObs: 101, skewness: -1, kurtosis: 6})).toBeCloseTo(Math.sqrt(1.8125 / 100), 14)
  })

  it('matches the spread of Sharpe estimates in simulation, for skewed normal and non-normal returns', () => {
    // Independent check by Monte Carlo: draw many i.i.d. samples with known moments
    // and compare the standard deviation of their Sharpe estimates with the formula.
    // Negative exponential returns μ - σ(E - 1), E ~ Exp(1), have skewness -2 and
    // kurtosis 9, so the formula's variance factor at SR 0.3 is 1 + 0.6 + 2·0.09 = 1.78,
    // against 1.045 for normal returns: the check tells the two apart.
    const uniform = uniformGenerator(11)
    const normal = normalGenerator(12)
    const nObs = 250
    const reps = 4000
    const trueSharpe = 0.3
    const cases = [
      {name: 'normal', skewness: 0, kurtosis: 3, draw: () => trueSharpe + normal()},
      {name: 'negative exponential', skewness: -2, kurtosis: 9, draw: () => trueSharpe - (-Math.log(1 - uniform()) - 1)},
    ]
    for (const c of cases) {
      const estimates = Array.from({length: reps}, () => sharpeRatio(Array.from({length: nObs}, c.draw)))
      const simulated = sampleStandardDeviation(estimates)
      const formula = sharpeStandardError({sharpe: trueSharpe, nObs, skewness: c.skewness, kurtosis: c.kurtosis})
      // the sd of a sd estimated from 4000 draws is about 1.1%; allow 6% for that and O(1/T) terms
      expect(simulated / formula, c.name).toBeGreaterThan(0.94)
      expect(simulated / formula, c.name).toBeLessThan(1.06)
    }
  })

  it('rejects excess kurtosis passed as plain, and impossible moments', () => {
    // excess kurtosis 0 (a normal) is plain kurtosis 3; 0 breaks kurtosis >= skewness² + 1
    expect(() => sharpeStandardError({sharpe: 0.1, nObs: 100, skewness: 0, kurtosis: 0})).toThrow(InputError)
    const excess = thrownInputError(() => sharpeStandardError({sharpe: 0.1, nObs: 100, skewness: -3, kurtosis: 7}))
    expect(excess.field).toBe('kurtosis')
    expect(excess.message).toMatch(/impossible with skewness -3/)
    expect(excess.fix).toMatch(/not excess kurtosis/)
    expect(() => sharpeStandardError({sharpe: 0.1, nObs: 1})).toThrow(InputError)
    expect(() => sharpeRatio([0.01, 0.01, 0.01])).toThrow(/never vary/)
    expect(() => annualiseSharpe(0.1, 0)).toThrow(InputError)
  })
})
