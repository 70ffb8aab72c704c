import fc from 'fast-check'
import {mean as ssMean, sampleKurtosis, sampleSkewness, sampleStandardDeviation} from 'simple-statistics'
import {describe, expect, it} from 'vitest'
import {InputError} from '../../../src/core/errors.js'
import {kurtosis, mean, moments, skewness, standardDeviation} from '../../../src/core/stats/moments.js'
import {normalGenerator} from './helpers.js'

describe('moments', () => {
  it('matches hand computation on 1..5', () => {
    // mean 3; deviations -2..2: Σd² = 10, Σd⁴ = 34; sample sd = sqrt(10/4);
    // population m2 = 2, m4 = 6.8, so plain kurtosis = 6.8 / 4 = 1.7; symmetric, so skewness 0
    const xs = [1, 2, 3, 4, 5]
    expect(mean(xs)).toBe(3)
    expect(standardDeviation(xs)).toBeCloseTo(Math.sqrt(2.5), 14)
    expect(skewness(xs)).toBeCloseTo(0, 14)
    expect(kurtosis(xs)).toBeCloseTo(1.7, 14)
  })

  it('gives the two-point distribution kurtosis 1, the floor skewness² + 1', () => {
    // a fair coin on {0, 1}: m2 = 1/4, m4 = 1/16, kurtosis = (1/16)/(1/16) = 1
    const xs = [0, 1, 0, 1, 1, 0, 1, 0]
    expect(skewness(xs)).toBeCloseTo(0, 14)
    expect(kurtosis(xs)).toBeCloseTo(1, 14)
  })

  it('reports plain, not excess, kurtosis: about 3 for a large normal sample', () => {
    const normal = normalGenerator(7)
    const xs = Array.from({length: 200_000}, () => 0.001 + 0.02 * normal())
    const m = moments(xs)
    // the sampling sd of the kurtosis is sqrt(24/n) ≈ 0.011 and of the skewness sqrt(6/n) ≈ 0.0055
    expect(m.kurtosis).toBeGreaterThan(3 - 0.05)
    expect(m.kurtosis).toBeLessThan(3 + 0.05)
    expect(Math.abs(m.skewness)).toBeLessThan(0.03)
  })

  it('agrees with simple-statistics through its own estimators', () => {
    fc.assert(
      fc.property(fc.array(fc.double({min: -1, max: 1, noNaN: true}), {minLength: 5, maxLength: 60}), (xs) => {
        fc.pre(sampleStandardDeviation(xs) > 1e-6)
        const n = xs.length
        const m = moments(xs)
        expect(m.mean).toBeCloseTo(ssMean(xs), 10)
        expect(m.std).toBeCloseTo(sampleStandardDeviation(xs), 10)
        // simple-statistics' biased skewness is the same m3 / m2^1.5
        expect(m.skewness).toBeCloseTo(sampleSkewness(xs, true), 8)
        // its kurtosis is the adjusted excess G2 = (n-1)/((n-2)(n-3)) · ((n+1)·k - 3(n-1)), k plain
        const plainFromAdjusted = ((sampleKurtosis(xs) * (n - 2) * (n - 3)) / (n - 1) + 3 * (n - 1)) / (n + 1)
        expect(m.kurtosis).toBeCloseTo(plainFromAdjusted, 6)
        // Pearson's inequality holds for every sample
        expect(m.kurtosis).toBeGreaterThanOrEqual(m.skewness ** 2 + 1 - 1e-9)
      }),
    )
  })

  it('refuses series it cannot describe', () => {
    expect(() => mean([])).toThrow(InputError)
    expect(() => standardDeviation([1])).toThrow(InputError)
    expect(() => skewness([2, 2, 2])).toThrow(/never vary/)
    expect(() => moments([1, Number.NaN, 3])).toThrow(/observation 2/)
    // near the largest double the sums overflow: that is no series that never varies
    expect(() => skewness([1e308, 1e308, -1e308, 1e308])).toThrow(/too large to describe/)
  })
})

describe('near-constant returns', () => {
  it('treat rounding noise as no variation: the Sharpe ratio is 0, not 1e15', async () => {
    const {sharpeOrZero, negligibleSpread} = await import('../../../src/core/stats/moments.js')
    const {sharpeRatio: kitSharpe} = await import('../../../src/core/backtest/metrics.js')
    // equal returns as computed from prices: 0.0001 plus a few ulps of noise
    const prices = Array.from({length: 300}, (_, i) => 100 * 1.0001 ** i)
    const returns = prices.slice(1).map((p, i) => p / prices[i]! - 1)
    expect(new Set(returns).size).toBeGreaterThan(1)
    expect(sharpeOrZero(returns)).toBe(0)
    expect(kitSharpe(Float64Array.from(returns))).toBe(0)
    expect(negligibleSpread(0, 0)).toBe(true)
    expect(sharpeOrZero([0.01, -0.01, 0.02])).toBeGreaterThan(0)
    expect(() => skewness(returns)).toThrow(/never vary/)
  })
})
