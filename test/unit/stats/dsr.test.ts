import fc from 'fast-check'
import {sampleVariance} from 'simple-statistics'
import {describe, expect, it} from 'vitest'
import {InputError} from '../../../src/core/errors.js'
import {deflatedSharpeRatio, EULER_MASCHERONI, expectedMaximumSharpe, varianceOfSharpeRatios} from '../../../src/core/stats/dsr.js'
import {probabilisticSharpeRatio} from '../../../src/core/stats/psr.js'
import {normalGenerator, thrownInputError} from './helpers.js'

describe('expectedMaximumSharpe (SR0)', () => {
  it('matches the published expected maxima of N standard normals', () => {
    // Bailey, Borwein, López de Prado & Zhu (2014), "Pseudo-Mathematics and Financial
    // Charlatanism", Notices AMS 61(5), eq. for E[max_N]: about 1.57 for N = 10.
    expect(expectedMaximumSharpe({nTrials: 10, varianceOfTrialSharpes: 1})).toBeCloseTo(1.575, 3)
    // N = 100: 2.5306028932016846 (the DSR paper's example uses it; esvhd/pypbo asserts it).
    expect(expectedMaximumSharpe({nTrials: 100, varianceOfTrialSharpes: 1})).toBeCloseTo(2.5306028932016846, 10)
    // Same paper, Minimum Backtest Length: with 45 trials an annualised in-sample SR of 1
    // is expected from noise after MinBTL = (E[max_45] / 1)² ≈ 5 years (pypbo: 4.99808700).
    expect(expectedMaximumSharpe({nTrials: 45, varianceOfTrialSharpes: 1}) ** 2).toBeCloseTo(4.998087004443404, 8)
  })

  it('is close to the simulated mean maximum of N independent normals', () => {
    // Independent check: the closed form is an extreme-value approximation; the exact
    // E[max] of 100 standard normals is 2.5076, so the two agree to about 1%.
    const normal = normalGenerator(3)
    const reps = 20_000
    let total = 0
    for (let r = 0; r < reps; r++) {
      let best = Number.NEGATIVE_INFINITY
      for (let n = 0; n < 100; n++) best = Math.max(best, normal())
      total += best
    }
    const simulated = total / reps
    expect(Math.abs(expectedMaximumSharpe({nTrials: 100, varianceOfTrialSharpes: 1}) - simulated)).toBeLessThan(0.04)
  })

  it('scales with the standard deviation of the trials and grows with N', () => {
    const unit = expectedMaximumSharpe({nTrials: 50, varianceOfTrialSharpes: 1})
    expect(expectedMaximumSharpe({nTrials: 50, varianceOfTrialSharpes: 0.04})).toBeCloseTo(0.2 * unit, 14)
    let previous = 0
    for (const nTrials of [2, 3, 5, 10, 100, 1000, 100_000]) {
      const sr0 = expectedMaximumSharpe({nTrials, varianceOfTrialSharpes: 1})
      expect(sr0).toBeGreaterThan(previous)
      previous = sr0
    }
  })

  it('is zero for a single trial, where nothing was selected', () => {
    expect(expectedMaximumSharpe({nTrials: 1, varianceOfTrialSharpes: 0.3})).toBe(0)
  })

  it('uses the Euler–Mascheroni constant', () => {
    expect(EULER_MASCHERONI).toBeCloseTo(0.5772156649015329, 15)
  })
})

describe('deflatedSharpeRatio', () => {
  it('reproduces the numerical example of Bailey & López de Prado (2014)', () => {
    // "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest Overfitting and
    // Non-Normality", J. Portfolio Management 40(5), numerical example: N = 100 trials,
    // best annualised SR 2.5, variance of the trials' annualised SRs 1/2, T = 1250 daily
    // observations (five years of 250 days), skewness -3, plain kurtosis 10. The paper
    // works per day: SR = 2.5/sqrt(250) = 0.1581, V = 0.5/250 = 0.002, giving SR0 ≈ 0.1132
    // per day and DSR ≈ 0.9004. (esvhd/pypbo asserts DSR = 0.90039683444939034.)
    const {dsr, sr0} = deflatedSharpeRatio({
      sharpe: 2.5 / Math.sqrt(250),
      nTrials: 100,
      varianceOfTrialSharpes: 0.5 / 250,
      nObs: 1250,
      skewness: -3,
      kurtosis: 10,
    })
    expect(sr0).toBeCloseTo(0.1132, 4)
    // annualised back: 0.1132·sqrt(250) ≈ 1.7894
    expect(sr0 * Math.sqrt(250)).toBeCloseTo(1.7894, 4)
    expect(dsr).toBeCloseTo(0.9004, 4)
    expect(dsr).toBeCloseTo(0.90039683444939034, 10)
  })

  it('is the PSR against SR0, computed from first principles', () => {
    // SR0 for N = 20, V = 0.01 with quantiles from another implementation, Python's
    // statistics.NormalDist().inv_cdf: Φ⁻¹(0.95) = 1.6448536269514715 and
    // Φ⁻¹(1 - 1/(20e)) = 2.0881096572142206
    const sr0 = expectedMaximumSharpe({nTrials: 20, varianceOfTrialSharpes: 0.01})
    const byHand = 0.1 * ((1 - EULER_MASCHERONI) * 1.6448536269514715 + EULER_MASCHERONI * 2.0881096572142206)
    expect(sr0).toBeCloseTo(byHand, 12)
    const {dsr} = deflatedSharpeRatio({sharpe: 0.3, nTrials: 20, varianceOfTrialSharpes: 0.01, nObs: 200, skewness: -0.5, kurtosis: 4})
    expect(dsr).toBeCloseTo(probabilisticSharpeRatio({sharpe: 0.3, benchmark: sr0, nObs: 200, skewness: -0.5, kurtosis: 4}), 15)
  })

  it('never exceeds PSR(0) when more than one trial was run', () => {
    fc.assert(
      fc.property(
        fc.double({min: -0.5, max: 1, noNaN: true}),
        fc.integer({min: 2, max: 10_000}),
        fc.double({min: 0, max: 0.5, noNaN: true}),
        fc.integer({min: 2, max: 5000}),
        fc.double({min: -2, max: 0, noNaN: true}),
        fc.double({min: 0, max: 15, noNaN: true}),
        (sharpe, nTrials, varianceOfTrialSharpes, nObs, skewness, extraKurtosis) => {
          const kurtosis = skewness ** 2 + 1 + extraKurtosis
          const {dsr, sr0} = deflatedSharpeRatio({sharpe, nTrials, varianceOfTrialSharpes, nObs, skewness, kurtosis})
          expect(sr0).toBeGreaterThanOrEqual(0)
          expect(dsr).toBeLessThanOrEqual(probabilisticSharpeRatio({sharpe, nObs, skewness, kurtosis}))
          expect(dsr).toBeGreaterThanOrEqual(0)
          expect(dsr).toBeLessThanOrEqual(1)
        },
      ),
    )
  })

  it('refuses impossible inputs', () => {
    const base = {sharpe: 0.1, nObs: 100, varianceOfTrialSharpes: 0.01, nTrials: 10}
    expect(() => deflatedSharpeRatio({...base, nTrials: 0})).toThrow(InputError)
    expect(() => deflatedSharpeRatio({...base, nTrials: 2.5})).toThrow(/whole number/)
    expect(() => deflatedSharpeRatio({...base, varianceOfTrialSharpes: -0.1})).toThrow(/negative/)
    expect(thrownInputError(() => deflatedSharpeRatio({...base, kurtosis: 0})).fix).toMatch(/excess/)
  })
})

describe('varianceOfSharpeRatios', () => {
  it('is the sample variance (n - 1) of the trials’ Sharpe ratios', () => {
    const sharpes = [0.1, -0.05, 0.02, 0.07, 0.0, 0.12]
    expect(varianceOfSharpeRatios(sharpes)).toBeCloseTo(sampleVariance(sharpes), 15)
    expect(() => varianceOfSharpeRatios([0.1])).toThrow(InputError)
  })
})
