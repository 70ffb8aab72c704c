import {describe, expect, it} from 'vitest'
import {meanAndStd, returnMetrics, sharpeRatio} from '../../../src/core/backtest/metrics.js'
import {minimumBars, walkForwardFolds, walkForwardMetrics} from '../../../src/core/backtest/walk-forward.js'

describe('walkForwardFolds', () => {
  it('cuts the periods into folds + 1 equal blocks, each fold testing the block after its training block', () => {
    // 13 bars = periods 1..12; 2 folds -> 3 blocks of 4 periods starting at 1, 5, 9
    expect(walkForwardFolds(13, 2)).toEqual([
      {train: {from: 1, to: 5}, test: {from: 5, to: 9}},
      {train: {from: 5, to: 9}, test: {from: 9, to: 13}},
    ])
  })

  it('covers every period once when the length does not divide evenly, tests always after training', () => {
    const folds = walkForwardFolds(2520, 5)
    expect(folds[0].train.from).toBe(1)
    expect(folds.at(-1)!.test.to).toBe(2520)
    for (const [k, fold] of folds.entries()) {
      expect(fold.train.to).toBe(fold.test.from)
      if (k > 0) expect(fold.test.from).toBe(folds[k - 1].test.to)
      expect(fold.test.to - fold.test.from).toBeGreaterThanOrEqual(419)
    }
  })

  it('refuses a series too short for its folds', () => {
    expect(minimumBars(5)).toBe(13)
    expect(() => walkForwardFolds(12, 5)).toThrow(/too few/)
    expect(() => walkForwardFolds(100, 0)).toThrow(/positive integer/)
  })
})

describe('walkForwardMetrics', () => {
  // 13 bars, 2 folds: in sample = periods 1..8 (blocks 1 and 2), out of sample = periods 5..12
  const net = Float64Array.from([0, 0.01, 0.02, -0.01, 0.03, -0.02, 0.01, 0.005, 0.015, -0.01, 0.02, 0.01, -0.005])
  const traded = Float64Array.from([0, 1, 0, 2, 0, 0, 1, 0, 0, 2, 0, 0, 1])
  const costPerUnit = 0.001
  const gross = net.map((r, t) => r + costPerUnit * traded[t])
  const folds = walkForwardFolds(13, 2)
  const metrics = walkForwardMetrics({net, traded, costBps: 10}, folds, 252)

  it('reports out-of-sample metrics over the concatenated test windows', () => {
    // computed again from a copy of the test periods, with the plain metric functions
    const testPeriods = net.slice(5, 13)
    expect(metrics).toMatchObject({...returnMetrics(testPeriods), n_periods: 8})
    expect(metrics.sharpe).toBeCloseTo(sharpeRatio(testPeriods), 12)
    expect(metrics.post_cost_sharpe).toBe(metrics.sharpe)
  })

  it('sets the in-sample Sharpe (training windows) beside it', () => {
    expect(metrics.is_sharpe).toBeCloseTo(sharpeRatio(net.slice(1, 9)), 12)
  })

  it('gives the mean and spread of the per-fold Sharpe ratios', () => {
    const perFold = [sharpeRatio(net.slice(5, 9)), sharpeRatio(net.slice(9, 13))]
    const {mean, std} = meanAndStd(perFold)
    expect(metrics.sharpe_mean).toBeCloseTo(mean, 12)
    expect(metrics.sharpe_std).toBeCloseTo(std, 12)
    expect(metrics.n_folds).toBe(2)
  })

  it('reports the gross Sharpe and the turnover out of sample', () => {
    expect(metrics.gross_sharpe).toBeCloseTo(sharpeRatio(gross.slice(5, 13)), 12)
    // traded out of sample: periods 5..12 hold 0, 1, 0, 0, 2, 0, 0, 1 -> 4 units over 8 periods
    expect(metrics.turnover).toBe(0.5)
  })
})
