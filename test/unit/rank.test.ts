import {describe, expect, it} from 'vitest'
import {objectiveMetric, paretoFront} from '../../src/core/views/rank.js'

describe('ranking', () => {
  it('maps the three personalities to their metric and direction', () => {
    expect(objectiveMetric('return')).toEqual({metric: 'total_return', higherIsBetter: true})
    expect(objectiveMetric('sharpe')).toEqual({metric: 'sharpe', higherIsBetter: true})
    expect(objectiveMetric('drawdown')).toEqual({metric: 'max_drawdown', higherIsBetter: false})
    expect(objectiveMetric('sharpe', 'sortino')).toEqual({metric: 'sortino', higherIsBetter: true})
  })

  it('keeps exactly the nodes no other beats on both Sharpe and drawdown', () => {
    const n = (id: string, sharpe: number, max_drawdown: number) => ({id, metrics: {sharpe, max_drawdown}})
    const items = [n('a', 1.0, 0.3), n('b', 0.8, 0.1), n('c', 0.7, 0.2), n('d', 1.0, 0.35), n('e', 0.5, 0.05)]
    // c is beaten by b on both; d by a (same Sharpe, deeper drawdown)
    expect(paretoFront(items).map((i) => i.id)).toEqual(['a', 'b', 'e'])
  })
})
