import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {truncationRows} from '../../../src/core/auditor/checks/lookahead.js'

describe('truncationRows: where the truncated copies end', () => {
  it('moves each cut by the draw, within 5% of the rows (at least one), and keeps it inside the data', () => {
    expect(truncationRows(1000, [0.6, 0.75, 0.9], () => 0)).toEqual([600, 750, 900])
    // the draw is asked for a whole number in [-reach, reach + 1)
    const asked: Array<[number, number]> = []
    expect(
      truncationRows(1000, [0.6, 0.75, 0.9], (min, max) => {
        asked.push([min, max])
        return min
      }),
    ).toEqual([550, 700, 850])
    expect(asked).toEqual([
      [-50, 51],
      [-50, 51],
      [-50, 51],
    ])
    expect(truncationRows(1000, [0.6, 0.75, 0.9], (_, max) => max - 1)).toEqual([650, 800, 950])
    // a short file still moves by one row; a cut never reaches the first row or past the last
    expect(truncationRows(10, [0.6], (_, max) => max - 1)).toEqual([7])
    expect(truncationRows(10, [0.05, 0.99], (min, max) => (min < 0 ? min : max - 1))).toEqual([1, 8])
  })

  it('gives sorted, distinct rows in [1, rows - 1] whatever the draw', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 2, max: 100_000}),
        fc.array(fc.double({min: 0.01, max: 0.99, noNaN: true}), {minLength: 1, maxLength: 6}),
        fc.double({min: 0, max: 1, noNaN: true, maxExcluded: true}),
        (rows, fractions, u) => {
          const cuts = truncationRows(rows, fractions, (min, max) => min + Math.floor(u * (max - min)))
          expect(cuts).toEqual([...new Set(cuts)].sort((a, b) => a - b))
          for (const cut of cuts) expect(cut >= 1 && cut <= rows - 1).toBe(true)
        },
      ),
    )
  })
})
