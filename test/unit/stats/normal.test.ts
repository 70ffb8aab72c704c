import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {standardNormalCdf, standardNormalQuantile} from '../../../src/core/stats/normal.js'

/** |a − b| within `rel` of |b| (and exactly equal when b is 0). */
const closeTo = (a: number, b: number, rel = 1e-9) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b))

// Published values of Φ and Φ⁻¹ (tables of the normal distribution, to 16 significant digits),
// checked to 1e-9 relative: in the far tail too, where a probability is tiny.
const CDF: Array<[number, number]> = [
  [0, 0.5],
  [1, 0.8413447460685429],
  [-1, 0.15865525393145707],
  [1.96, 0.9750021048517795],
  [3, 0.9986501019683699],
  [-3, 0.0013498980316300933],
  [-5, 2.866515718791939e-7],
  [-8, 6.22096057427178e-16],
  [-10, 7.619853024160527e-24],
  [-20, 2.7536241186062337e-89],
]
const QUANTILE: Array<[number, number]> = [
  [0.975, 1.959963984540054],
  [0.025, -1.959963984540054],
  [0.95, 1.6448536269514722],
  [0.99, 2.3263478740408408],
  [0.999, 3.090232306167813],
  [1e-5, -4.264890793922825],
  [1e-10, -6.361340902404056],
  [1e-20, -9.26234008979841],
]

describe('the standard normal distribution', () => {
  it('Φ matches published values to 1e-9 relative, tails included', () => {
    for (const [x, p] of CDF) closeTo(standardNormalCdf(x), p)
  })

  it('Φ⁻¹ matches published values to 1e-9 relative, tails included', () => {
    expect(standardNormalQuantile(0.5)).toBe(0)
    for (const [p, x] of QUANTILE) closeTo(standardNormalQuantile(p), x)
  })

  it('at the edges: Φ(±∞) is 0 and 1, Φ⁻¹ of 0 and 1 is ∓∞, anything outside [0, 1] or NaN is NaN', () => {
    expect(standardNormalCdf(Number.NEGATIVE_INFINITY)).toBe(0)
    expect(standardNormalCdf(Number.POSITIVE_INFINITY)).toBe(1)
    expect(standardNormalCdf(Number.NaN)).toBeNaN()
    expect(standardNormalQuantile(0)).toBe(Number.NEGATIVE_INFINITY)
    expect(standardNormalQuantile(1)).toBe(Number.POSITIVE_INFINITY)
    for (const p of [-0.1, 1.1, Number.NaN]) expect(standardNormalQuantile(p)).toBeNaN()
  })

  it('Φ is symmetric, increasing, and Φ⁻¹ inverts it', () => {
    fc.assert(
      fc.property(fc.double({min: -30, max: 5, noNaN: true}), fc.double({min: 1e-6, max: 1, noNaN: true}), (x, step) => {
        closeTo(standardNormalCdf(x) + standardNormalCdf(-x), 1, 1e-15)
        expect(standardNormalCdf(x + step)).toBeGreaterThanOrEqual(standardNormalCdf(x))
        expect(Math.abs(standardNormalQuantile(standardNormalCdf(x)) - x)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x)))
      }),
    )
  })
})
