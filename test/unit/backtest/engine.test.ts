import {describe, expect, it} from 'vitest'
import {assetReturns, grossReturns, strategyReturns} from '../../../src/core/backtest/engine.js'

const f64 = (values: number[]): Float64Array => Float64Array.from(values)
const sum = (xs: Float64Array): number => xs.reduce((a, b) => a + b, 0)

describe('assetReturns', () => {
  it('is close over previous close minus one, 0 on the first bar', () => {
    // 100 -> 110 is +10%, 110 -> 99 is -10%, 99 -> 99 is 0, 99 -> 108.9 is +10%
    const returns = assetReturns(f64([100, 110, 99, 99, 108.9]))
    expect([...returns].map((r) => Number(r.toFixed(12)))).toEqual([0, 0.1, -0.1, 0, 0.1])
  })
})

describe('strategyReturns: a position decided at the close of day t earns day t+1', () => {
  // closes 100, 110, 99, 99, 108.9: day returns (index = day) 0, +10%, -10%, 0, +10%
  const asset = assetReturns(f64([100, 110, 99, 99, 108.9]))

  it('pays a position only the next day', () => {
    // long at the close of day 0 only: it earns day 1 (+10%) and nothing else
    const {net} = strategyReturns(asset, f64([1, 0, 0, 0, 0]), 0)
    expect([...net].map((r) => Number(r.toFixed(12)))).toEqual([0, 0.1, 0, 0, 0])
  })

  it('changes the P&L by a known amount when the positions move by one day', () => {
    // p holds long through days 2 and 3 (decided at closes 1 and 2): earns -10% + 0% = -0.10
    // q is p one day later, holding through days 3 and 4: earns 0% + 10% = +0.10
    // so the one-day shift changes the summed P&L by exactly +0.20
    const p = strategyReturns(asset, f64([0, 1, 1, 0, 0]), 0).net
    const q = strategyReturns(asset, f64([0, 0, 1, 1, 0]), 0).net
    expect(sum(p)).toBeCloseTo(-0.1, 12)
    expect(sum(q)).toBeCloseTo(0.1, 12)
    expect(sum(q) - sum(p)).toBeCloseTo(0.2, 12)
  })

  it('gives a strategy that peeks at the day it trades nothing of that day', () => {
    // alternating +1% / -1% days; the rule "be long after an up day, short after a down day" knows
    // today's return at today's close (allowed) and is paid tomorrow's, which is always the opposite sign:
    // it must lose exactly 1% every day it holds. Had the engine paid positions[t] with day t's return,
    // it would win 1% a day instead.
    const closes = [100]
    for (let t = 1; t <= 10; t++) closes.push(closes[t - 1] * (t % 2 === 1 ? 1.01 : 0.99))
    const day = assetReturns(f64(closes))
    const positions = day.map((r) => Math.sign(r))
    const {net} = strategyReturns(day, positions, 0)
    for (let t = 2; t <= 10; t++) expect(net[t]).toBeCloseTo(-0.01, 12)
    expect(net[1]).toBe(0) // positions[0] = 0: day 0 had no return to react to
  })

  it('turns a known gross return into a known net return with costs per unit traded', () => {
    // closes 100, 101, 102, 101, 100, 100: day returns 0, +1%, +0.990099%, -0.980392%, -0.990099%, 0
    // positions decided at each close: 1, 1, -1, -1, 0, 0
    //   day 1 holds +1 (entered from flat: traded 1), day 2 holds +1 (traded 0),
    //   day 3 holds -1 (flipped: traded 2), day 4 holds -1 (traded 0), day 5 holds 0 (exited: traded 1)
    // gross = +1%·1 + 0.990099%·1 + (-0.980392%)·(-1) + (-0.990099%)·(-1) + 0 = 0.0396059...
    // costs at 10 bps per unit: (1 + 0 + 2 + 0 + 1) · 0.001 = 0.004, so net = gross - 0.004
    const day = assetReturns(f64([100, 101, 102, 101, 100, 100]))
    const buffers = strategyReturns(day, f64([1, 1, -1, -1, 0, 0]), 10)
    const {net, traded} = buffers
    const gross = grossReturns(buffers, 10)
    const expectedGross = 0.01 + 1 / 101 + 1 / 102 + 1 / 101
    expect(sum(gross)).toBeCloseTo(expectedGross, 12)
    expect([...traded]).toEqual([0, 1, 0, 2, 0, 1])
    expect(sum(net)).toBeCloseTo(expectedGross - 0.004, 12)
    expect(net[3]).toBeCloseTo(1 / 102 - 0.002, 12) // the flip costs 2 units x 10 bps on the day it is first held
  })

  it('refuses positions of another length', () => {
    expect(() => strategyReturns(f64([0, 0.1]), f64([1]), 0)).toThrow(RangeError)
  })
})
