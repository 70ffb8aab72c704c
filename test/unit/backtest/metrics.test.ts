import {describe, expect, it} from 'vitest'
import {
  maxDrawdown,
  meanAndStd,
  momentsOf,
  pooledMoments,
  returnMetrics,
  sharpeFromMoments,
  sharpeRatio,
  sortinoRatio,
  totalReturn,
  winRate,
} from '../../../src/core/backtest/metrics.js'

const f64 = (values: number[]): Float64Array => Float64Array.from(values)

// r = 0.01, -0.02, 0.03, 0, 0.01
//   mean = 0.03 / 5 = 0.006
//   deviations 0.004, -0.026, 0.024, -0.006, 0.004; squares 16e-6, 676e-6, 576e-6, 36e-6, 16e-6, sum 1320e-6
//   sample variance = 1320e-6 / 4 = 330e-6, std = sqrt(330e-6) = 0.0181659021...
//   per-period Sharpe = 0.006 / 0.0181659021 = 0.3302891295; x sqrt(252) = 5.2431773850
//   downside deviation = sqrt(0.02^2 / 5) = sqrt(80e-6) = 0.0089442719; Sortino = 0.006 / 0.0089442719 = 0.6708203932,
//   x sqrt(252) = 10.6489436096
//   win rate: 3 positive of 4 non-zero periods = 0.75
//   total return = 1.01 * 0.98 * 1.03 * 1 * 1.01 - 1 = 0.02968894
const sample = f64([0.01, -0.02, 0.03, 0, 0.01])

describe('metrics against hand-computed values', () => {
  it('sharpe: mean over sample std, annualised by sqrt(periods per year), 252 by default', () => {
    expect(sharpeRatio(sample, 1)).toBeCloseTo(0.3302891295, 9)
    expect(sharpeRatio(sample)).toBeCloseTo(5.243177385, 8)
  })

  it('sortino: mean over the downside deviation with target 0 over all periods', () => {
    expect(sortinoRatio(sample, 1)).toBeCloseTo(0.6708203932, 9)
    expect(sortinoRatio(sample, 252)).toBeCloseTo(10.6489436096, 8)
  })

  it('win rate counts only periods with a non-zero return', () => {
    expect(winRate(sample)).toBe(0.75)
  })

  it('total return compounds', () => {
    expect(totalReturn(sample)).toBeCloseTo(1.01 * 0.98 * 1.03 * 1.01 - 1, 14)
  })

  it('max drawdown is the deepest fall from a running peak of the compounded equity, positive', () => {
    // equity 1.1, 0.99, 0.891, 1.3365: the peak 1.1 falls to 0.891, 1 - 0.891 / 1.1 = 0.19
    expect(maxDrawdown(f64([0.1, -0.1, -0.1, 0.5]))).toBeCloseTo(0.19, 14)
    // the curve starts at 1 before the first period, so an opening loss is a drawdown: 1 -> 0.5 -> 1
    expect(maxDrawdown(f64([-0.5, 1]))).toBeCloseTo(0.5, 14)
    expect(maxDrawdown(f64([0.01, 0.02, 0.03]))).toBe(0)
  })

  it('reports undefined ratios as 0, never NaN or Infinity', () => {
    const flat = returnMetrics(f64([0, 0, 0, 0]))
    expect(flat).toEqual({n_periods: 4, mean_pnl: 0, volatility: 0, sharpe: 0, sortino: 0, max_drawdown: 0, win_rate: 0, total_return: 0})
    // a constant gain has no variance and no losing day: Sharpe and Sortino are undefined
    const constant = returnMetrics(f64([0.001, 0.001, 0.001]))
    expect(constant.sharpe).toBe(0)
    expect(constant.sortino).toBe(0)
    expect(constant.mean_pnl).toBeCloseTo(0.001, 15)
    expect(returnMetrics(f64([])).n_periods).toBe(0)
  })

  it('works on a window [from, to) without copying', () => {
    const padded = f64([9, 9, ...sample, -9])
    expect(returnMetrics(padded, 252, 2, 7)).toEqual(returnMetrics(sample))
  })

  it('pools the moments of adjacent windows into those of their concatenation', () => {
    const series = f64([0.01, -0.02, 0.03, 0, 0.01, 0.02, -0.01, 0.005])
    const shift = series[0]
    const pooled = pooledMoments([momentsOf(series, 0, 3, shift), momentsOf(series, 3, 8, shift)])
    expect(sharpeFromMoments(pooled)).toBeCloseTo(sharpeRatio(series), 12)
    expect(() => pooledMoments([momentsOf(series, 0, 3), momentsOf(series, 3, 8)])).toThrow(RangeError)
  })

  it('meanAndStd uses the sample standard deviation', () => {
    // 1, 2, 3, 4: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 3 -> std sqrt(5/3) = 1.2909944487
    const {mean, std} = meanAndStd([1, 2, 3, 4])
    expect(mean).toBe(2.5)
    expect(std).toBeCloseTo(1.2909944487, 10)
    expect(meanAndStd([0.7])).toEqual({mean: 0.7, std: 0})
  })
})
