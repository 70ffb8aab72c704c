import {describe, expect, it} from 'vitest'
import {createBacktestWorkspace, runBacktest} from '../../../src/core/backtest/backtest.js'
import {assetReturns, strategyReturns} from '../../../src/core/backtest/engine.js'
import {getStrategy, parseStrategyParams, STRATEGIES, STRATEGY_NAMES} from '../../../src/core/backtest/strategies/index.js'
import {scaleToTargetVol} from '../../../src/core/backtest/strategies/vol-target.js'
import {generatePrices} from '../../../src/core/data/generator.js'
import {InputError} from '../../../src/core/errors.js'

const f64 = (values: number[]): Float64Array => Float64Array.from(values)
const compounding = (start: number, rate: number, bars: number): Float64Array =>
  Float64Array.from({length: bars}, (_, t) => start * (1 + rate) ** t)
const positionsOf = (name: string, closes: Float64Array, raw: Record<string, unknown>): number[] => {
  const strategy = getStrategy(name)
  return [...strategy.positions(closes, parseStrategyParams(strategy, raw))]
}

describe('momentum', () => {
  it('rides a steady uptrend long and earns the trend every day once it is in', () => {
    // +0.1% a day for 300 days; lookback 20: flat for days 0..19, long from the close of day 20 on
    const closes = compounding(100, 0.001, 300)
    const positions = positionsOf('momentum', closes, {lookback: 20})
    expect(positions.slice(0, 20)).toEqual(Array(20).fill(0))
    expect(positions.slice(20)).toEqual(Array(280).fill(1))
    // without costs, every day from day 21 earns exactly the asset's 0.1%
    const {net} = strategyReturns(assetReturns(closes), f64(positions), 0)
    for (let t = 21; t < 300; t++) expect(net[t]).toBeCloseTo(0.001, 12)
    expect(net[20]).toBe(0)
  })

  it('rides a steady downtrend short, which also earns', () => {
    const closes = compounding(100, -0.001, 100)
    const positions = positionsOf('momentum', closes, {lookback: 10})
    expect(positions.slice(10)).toEqual(Array(90).fill(-1))
    const {net} = strategyReturns(assetReturns(closes), f64(positions), 0)
    expect(net[50]).toBeCloseTo(0.001, 12) // short x (-0.1%)
  })

  it('stays flat on a flat market', () => {
    expect(positionsOf('momentum', f64(Array(30).fill(42)), {lookback: 5})).toEqual(Array(30).fill(0))
  })
})

describe('ma-crossover', () => {
  it('is long while the fast average is above the slow one, short when below, flat before `slow` closes', () => {
    // rising by 1 for 20 bars, then falling by 1: fast 2 / slow 4
    // averages at bar t (closes c): fast = (c[t] + c[t-1]) / 2, slow = (c[t] + ... + c[t-3]) / 4
    // rising: fast - slow = 1 > 0 -> +1 from bar 3; the peak is bar 19 (close 19)
    // bar 20 (18): fast 18.5, slow (18+19+18+17)/4 = 18   -> +1
    // bar 21 (17): fast 17.5, slow (17+18+19+18)/4 = 18   -> -1
    const closes = f64([...Array.from({length: 20}, (_, t) => t), ...Array.from({length: 10}, (_, t) => 18 - t)])
    const positions = positionsOf('ma-crossover', closes, {fast: 2, slow: 4})
    expect(positions.slice(0, 3)).toEqual([0, 0, 0])
    expect(positions.slice(3, 21)).toEqual(Array(18).fill(1))
    expect(positions.slice(21)).toEqual(Array(9).fill(-1))
  })

  it('agrees with the averages recomputed from scratch on a realistic series', () => {
    const closes = generatePrices({seed: 11, years: 4}).close
    const [fast, slow] = [10, 40]
    const positions = positionsOf('ma-crossover', closes, {fast, slow})
    const average = (from: number, to: number): number => closes.slice(from, to).reduce((a, b) => a + b, 0) / (to - from)
    for (let t = slow - 1; t < closes.length; t++) {
      expect(positions[t], `bar ${t}`).toBe(Math.sign(average(t - fast + 1, t + 1) - average(t - slow + 1, t + 1)))
    }
  })

  it('rejects fast >= slow', () => {
    expect(() => parseStrategyParams(STRATEGIES['ma-crossover'], {fast: 50, slow: 20})).toThrow(/fast must be shorter than slow/)
  })
})

describe('rsi-reversion', () => {
  it("follows Wilder's RSI computed by hand", () => {
    // closes 10, 11, 10.5, 10, 9, 10; changes +1, -0.5, -0.5, -1, +1; period 2
    // bar 2: avgGain = (1 + 0) / 2 = 0.5, avgLoss = (0 + 0.5) / 2 = 0.25  -> RSI 100 * 0.5 / 0.75 = 66.7
    // bar 3: avgGain = (0.5 + 0) / 2 = 0.25, avgLoss = (0.25 + 0.5) / 2 = 0.375 -> RSI 40
    // bar 4: avgGain = 0.125, avgLoss = (0.375 + 1) / 2 = 0.6875             -> RSI 15.4
    // bar 5: avgGain = (0.125 + 1) / 2 = 0.5625, avgLoss = 0.34375            -> RSI 62.1
    // lower 30, upper 60: short (66.7), flat (40), long (15.4), short (62.1)
    const positions = positionsOf('rsi-reversion', f64([10, 11, 10.5, 10, 9, 10]), {period: 2, lower: 30, upper: 60})
    expect(positions).toEqual([0, 0, -1, 0, 1, -1])
  })

  it('stays flat when nothing moves (RSI 50)', () => {
    expect(positionsOf('rsi-reversion', f64(Array(20).fill(7)), {period: 3})).toEqual(Array(20).fill(0))
  })

  it('rejects lower >= upper', () => {
    expect(() => parseStrategyParams(STRATEGIES['rsi-reversion'], {lower: 70, upper: 30})).toThrow(InputError)
  })
})

describe('breakout', () => {
  it('goes long above the highest and short below the lowest close of the previous window, else holds', () => {
    // window 3; closes 10 11 12 11 10 9 8 9 10 13
    // bar 3 (11): channel of bars 0-2 is [10, 12]: inside -> hold flat
    // bar 4 (10): channel [11, 12]: below 11 -> short;  bar 5 (9): [10, 12] -> short;  bar 6 (8): [9, 11] -> short
    // bar 7 (9): channel [8, 10]: inside -> hold short; bar 8 (10): [8, 9]: above 9 -> long; bar 9 (13): [8, 10] -> long
    const positions = positionsOf('breakout', f64([10, 11, 12, 11, 10, 9, 8, 9, 10, 13]), {window: 3})
    expect(positions).toEqual([0, 0, 0, 0, -1, -1, -1, -1, 1, 1])
  })

  it('agrees with the channel recomputed from scratch on a realistic series', () => {
    const closes = generatePrices({seed: 12, years: 4, model: 'SYNTH-B'}).close
    const window = 20
    const positions = positionsOf('breakout', closes, {window})
    let expected = 0
    for (let t = 0; t < closes.length; t++) {
      if (t >= window) {
        const channel = [...closes.slice(t - window, t)]
        if (closes[t] > Math.max(...channel)) expected = 1
        else if (closes[t] < Math.min(...channel)) expected = -1
      }
      expect(positions[t], `bar ${t}`).toBe(expected)
    }
  })
})

describe('vol-target', () => {
  // daily returns alternate +2%, -1%: over any even window the mean is 0.5% and every deviation is ±1.5%,
  // so with vol_window 4 the sample variance is 4 * 0.015^2 / 3 = 0.0003 and the annualised volatility
  // sqrt(0.0003) * sqrt(252) = 0.2749545... A 10% target scales a full position to 0.10 / 0.27495 = 0.3636965.
  const zigzag = (): Float64Array => {
    const out = [100]
    for (let t = 1; t < 60; t++) out.push(out[t - 1] * (t % 2 === 1 ? 1.02 : 0.99))
    return f64(out)
  }
  const expectedScale = 0.1 / (Math.sqrt(0.0003) * Math.sqrt(252))

  it('scales a position by target / realised volatility', () => {
    const scaled = scaleToTargetVol(zigzag(), f64(Array(60).fill(1)), {
      base: 'momentum',
      target_vol: 0.1,
      vol_window: 4,
      max_leverage: 2,
      periods_per_year: 252,
    })
    expect(expectedScale).toBeCloseTo(0.363696, 6)
    expect([...scaled.slice(0, 4)]).toEqual([0, 0, 0, 0]) // four returns exist from bar 4 on
    for (let t = 4; t < 60; t++) expect(scaled[t]).toBeCloseTo(expectedScale, 10)
  })

  it('wraps a base strategy from flat params and caps the leverage', () => {
    // momentum with lookback 2 on the zigzag: two days are +2% and -1%, net up, so always long from bar 2
    const positions = positionsOf('vol-target', zigzag(), {base: 'momentum', lookback: 2, target_vol: 0.1, vol_window: 4})
    for (let t = 4; t < 60; t++) expect(positions[t]).toBeCloseTo(expectedScale, 10)
    // a 200% target would need 7.3x: capped at max_leverage 2
    const capped = positionsOf('vol-target', zigzag(), {base: 'momentum', lookback: 2, target_vol: 2, vol_window: 4})
    expect(capped.slice(4)).toEqual(Array(56).fill(2))
  })

  it('validates the base and its params', () => {
    const overlay = STRATEGIES['vol-target']
    expect(() => parseStrategyParams(overlay, {base: 'vol-target'})).toThrow(/not a base strategy/)
    expect(() => parseStrategyParams(overlay, {base: 'breakout', window: 0})).toThrow(/window/)
    expect(parseStrategyParams(overlay, {base: 'breakout', window: 30})).toMatchObject({base: 'breakout', baseParams: {window: 30}})
  })
})

describe('every strategy', () => {
  const prices = generatePrices({seed: 5, years: 6, model: 'SYNTH-A'})
  const raw: Record<string, Record<string, unknown>> = {
    momentum: {lookback: 30},
    'ma-crossover': {fast: 5, slow: 30},
    'rsi-reversion': {period: 5, lower: 30, upper: 70},
    breakout: {window: 25},
    'vol-target': {base: 'breakout', window: 25, vol_window: 15},
  }

  it('is registered with defaults that parse', () => {
    expect(STRATEGY_NAMES).toEqual(['momentum', 'ma-crossover', 'rsi-reversion', 'breakout', 'vol-target'])
    for (const name of STRATEGY_NAMES) expect(() => parseStrategyParams(STRATEGIES[name], {})).not.toThrow()
    expect(() => getStrategy('nope')).toThrow(InputError)
  })

  it.each(STRATEGY_NAMES)('%s never reads the future: positions on a truncated history equal the full run up to the cut', (name) => {
    const full = positionsOf(name, prices.close, raw[name])
    for (const cut of [40, 333, 800, 1200]) {
      expect(positionsOf(name, prices.close.slice(0, cut), raw[name]), `cut at ${cut}`).toEqual(full.slice(0, cut))
    }
  })

  it.each(STRATEGY_NAMES)('%s reuses a caller buffer and gives the same answer', (name) => {
    const strategy = getStrategy(name)
    const params = parseStrategyParams(strategy, raw[name])
    const buffer = new Float64Array(prices.close.length).fill(123)
    expect(strategy.positions(prices.close, params, buffer)).toBe(buffer)
    expect([...buffer]).toEqual(positionsOf(name, prices.close, raw[name]))
  })

  it('runs through a shared workspace with the same metrics as a fresh one', () => {
    const workspace = createBacktestWorkspace(prices.close)
    for (const name of STRATEGY_NAMES) {
      const strategy = getStrategy(name)
      const params = parseStrategyParams(strategy, raw[name])
      const shared = runBacktest(workspace, strategy, params, {costBps: 5, folds: 4}).metrics
      const fresh = runBacktest(createBacktestWorkspace(prices.close), strategy, params, {costBps: 5, folds: 4}).metrics
      expect(shared).toEqual(fresh)
    }
  })
})
