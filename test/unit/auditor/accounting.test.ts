import {describe, expect, it} from 'vitest'
import {recomputeReturns} from '../../../src/core/auditor/accounting.js'

const dates = ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07']
const basis = {dates, prices: Float64Array.from([100, 110, 99, 99, 108.9]), column: 'close'}
const COST = 50 // bps: 0.005 per unit changed

describe('recomputeReturns (close_to_close)', () => {
  it('a record from row 0 starts flat: the first entry pays its cost', () => {
    const positions = new Map(dates.map((d) => [d, 1]))
    const {returns, unreachable} = recomputeReturns(basis, positions, dates.slice(1), COST)
    expect(unreachable).toEqual([])
    expect(returns.get('2020-01-02')).toBeCloseTo(0.1 - 0.005, 12)
    expect(returns.get('2020-01-03')).toBeCloseTo(-0.1, 12)
  })

  it('a record that starts mid-file is flat before its first position, as one from row 0 is', () => {
    // out of sample from 2020-01-06: positions from 2020-01-03, returns from 2020-01-06
    const positions = new Map([
      ['2020-01-03', 1],
      ['2020-01-06', -1],
    ])
    const {returns, unreachable} = recomputeReturns(basis, positions, ['2020-01-06', '2020-01-07'], COST)
    expect(unreachable).toEqual([])
    expect(returns.get('2020-01-06')).toBeCloseTo(1 * 0 - 0.005 * 1, 12)
    expect(returns.get('2020-01-07')).toBeCloseTo(-1 * 0.1 - 0.005 * 2, 12)
  })

  it('a position missing after the first is a gap the returns cannot be checked across', () => {
    const positions = new Map([
      ['2020-01-01', 1],
      ['2020-01-03', 1],
    ])
    const {returns, unreachable} = recomputeReturns(basis, positions, ['2020-01-03', '2020-01-06'], COST)
    expect(unreachable.map((u) => u.date)).toEqual(['2020-01-03', '2020-01-06'])
    expect(unreachable[0]!.why).toContain('no position on 2020-01-02')
    expect(returns.size).toBe(0)
  })
})
