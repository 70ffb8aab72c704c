import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {linearRegression} from 'simple-statistics'
import {InputError} from '../../../src/core/errors.js'
import {binomial, combinations, probabilityOfBacktestOverfitting, usableSplits} from '../../../src/core/stats/pbo.js'
import {noiseMatrix, normalGenerator, thrownInputError} from './helpers.js'

/**
 * CSCV written out the slow, literal way (concatenate the rows of the chosen blocks,
 * compute each trial's Sharpe ratio from scratch, rank by sorting) as an independent
 * check on the pooled-moments implementation.
 */
function naiveCscvLogits(matrix: number[][], splits: number): number[] {
  const nTrials = matrix[0].length
  const blockLength = Math.floor(matrix.length / splits)
  const rows = matrix.slice(matrix.length - blockLength * splits)
  const blocks = Array.from({length: splits}, (_, b) => rows.slice(b * blockLength, (b + 1) * blockLength))
  const sharpe = (xs: number[]) => {
    const mu = xs.reduce((a, x) => a + x, 0) / xs.length
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1))
    return mu / sd
  }
  const logits: number[] = []
  for (const chosen of combinations(splits, splits / 2)) {
    const inRows = chosen.flatMap((b) => blocks[b])
    const outRows = blocks.filter((_, b) => !chosen.includes(b)).flat()
    const inSharpe = Array.from({length: nTrials}, (_, n) => sharpe(inRows.map((r) => r[n])))
    const outSharpe = Array.from({length: nTrials}, (_, n) => sharpe(outRows.map((r) => r[n])))
    const best = inSharpe.indexOf(Math.max(...inSharpe))
    const sorted = [...outSharpe].sort((a, b) => a - b)
    const first = sorted.indexOf(outSharpe[best]) + 1
    const last = sorted.lastIndexOf(outSharpe[best]) + 1
    const w = (first + last) / 2 / (nTrials + 1)
    logits.push(Math.log(w / (1 - w)))
  }
  return logits
}

describe('combinations', () => {
  it('lists every k-subset once, in lexicographic order', () => {
    const all = [...combinations(6, 3)]
    expect(all).toHaveLength(20)
    expect(all[0]).toEqual([0, 1, 2])
    expect(all[19]).toEqual([3, 4, 5])
    expect(new Set(all.map((c) => c.join(','))).size).toBe(20)
    const keys = all.map((c) => c.map((i) => String(i).padStart(2, '0')).join(','))
    expect([...keys].sort()).toEqual(keys)
  })

  it('counts C(n, k)', () => {
    expect(binomial(16, 8)).toBe(12_870)
    expect(binomial(20, 10)).toBe(184_756)
    for (let n = 2; n <= 12; n += 2) expect([...combinations(n, n / 2)]).toHaveLength(binomial(n, n / 2))
  })
})

describe('probabilityOfBacktestOverfitting', () => {
  it('is about one half when every trial is pure noise', () => {
    // With N independent noise trials the in-sample winner's out-of-sample rank is uniform
    // on 1..N, so P(λ <= 0) = P(rank <= (N+1)/2) = 1/2 for even N. One matrix is a noisy
    // estimate (its combinations share data; single-matrix PBOs spread from about 0.1 to
    // 0.9), so the mean over 100 matrices is checked: its standard error is about 0.023.
    const estimates = Array.from(
      {length: 100},
      (_, seed) => probabilityOfBacktestOverfitting(noiseMatrix(1000 + seed, 200, 10), {splits: 8}).pbo,
    )
    const average = estimates.reduce((a, b) => a + b, 0) / estimates.length
    expect(average).toBeGreaterThan(0.43)
    expect(average).toBeLessThan(0.57)
  })

  it('is zero when one trial has a real edge in every block', () => {
    // trial 0 earns 0.5 sd a period on top of noise; its Sharpe ratio (~0.5) is many
    // standard errors (~0.045 over 500 rows) above any noise trial in every half-sample,
    // so it wins in sample and ranks first out of sample every time: λ = ln(N) > 0.
    const matrix = noiseMatrix(7, 1000, 12)
    const edge = normalGenerator(8)
    for (const row of matrix) row[0] = 0.005 + 0.01 * edge()
    const result = probabilityOfBacktestOverfitting(matrix, {splits: 16})
    expect(result.pbo).toBe(0)
    expect(result.combinations).toBe(12_870)
    expect(new Set(result.selectedTrials)).toEqual(new Set([0]))
    for (const logit of result.logits) expect(logit).toBeCloseTo(Math.log(12), 12)
    expect(result.probabilityOfLoss).toBe(0)
  })

  it('is one when the in-sample winner is the out-of-sample loser by construction', () => {
    // S = 6 blocks of 4 rows. Every trial is +c in three blocks and -c in the other three
    // (all 20 such sign patterns), plus the same zero-mean wiggle (+1, -1, +1, -1) in every
    // block. A half-sample's mean is then m and its complement's -m, and both Sharpe
    // ratios are the same increasing function of ±m, so in-sample and out-of-sample
    // orders are exactly reversed: the winner ranks last (or ties for last) every time.
    const splits = 6
    const patterns = [...combinations(splits, splits / 2)]
    const c = 0.1
    const wiggle = [1, -1, 1, -1]
    const matrix: number[][] = []
    for (let b = 0; b < splits; b++) {
      for (const w of wiggle) matrix.push(patterns.map((positive) => (positive.includes(b) ? c : -c) + w))
    }
    const result = probabilityOfBacktestOverfitting(matrix, {splits})
    expect(result.pbo).toBe(1)
    expect(result.probabilityOfLoss).toBe(1)
    for (const logit of result.logits) expect(logit).toBeLessThan(0)
    // the selected trial's Sharpe ratio flips sign out of sample
    for (const pair of result.degradation) expect(pair.outOfSample).toBeCloseTo(-pair.inSample, 12)
  })

  it('agrees with a literal implementation of CSCV', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 0, max: 1_000_000}),
        fc.integer({min: 2, max: 8}),
        fc.constantFrom(2, 4, 6, 8),
        fc.integer({min: 0, max: 5}),
        (seed, nTrials, splits, extraRows) => {
          const matrix = noiseMatrix(seed, splits * 5 + extraRows, nTrials)
          const result = probabilityOfBacktestOverfitting(matrix, {splits})
          const expected = naiveCscvLogits(matrix, splits)
          expect(result.logits).toHaveLength(expected.length)
          result.logits.forEach((logit, i) => expect(logit).toBeCloseTo(expected[i], 9))
          expect(result.pbo).toBe(expected.filter((l) => l <= 0).length / expected.length)
        },
      ),
      {numRuns: 40},
    )
  })

  it('lies in [0, 1] with one logit per combination', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 1_000_000}), fc.integer({min: 2, max: 6}), fc.constantFrom(2, 4, 6), (seed, nTrials, splits) => {
        const result = probabilityOfBacktestOverfitting(noiseMatrix(seed, 48, nTrials), {splits})
        expect(result.pbo).toBeGreaterThanOrEqual(0)
        expect(result.pbo).toBeLessThanOrEqual(1)
        expect(result.logits).toHaveLength(binomial(splits, splits / 2))
        for (const logit of result.logits) expect(Number.isFinite(logit)).toBe(true)
      }),
      {numRuns: 50},
    )
  })

  it('drops the oldest rows that do not fill a block', () => {
    const matrix = noiseMatrix(5, 103, 4)
    const result = probabilityOfBacktestOverfitting(matrix, {splits: 10})
    expect(result.rowsUsed).toBe(100)
    expect(result.nRows).toBe(103)
    expect(result.logits).toEqual(probabilityOfBacktestOverfitting(matrix.slice(3), {splits: 10}).logits)
  })

  it('ranks a trial that never trades without producing NaN', () => {
    const matrix = noiseMatrix(9, 64, 5)
    for (const row of matrix) row[2] = 0
    const result = probabilityOfBacktestOverfitting(matrix, {splits: 8})
    for (const logit of result.logits) expect(Number.isFinite(logit)).toBe(true)
  })

  it('refuses matrices and splits it cannot use', () => {
    const matrix = noiseMatrix(1, 40, 3)
    expect(thrownInputError(() => probabilityOfBacktestOverfitting(matrix, {splits: 5})).fix).toMatch(/even/)
    expect(() => probabilityOfBacktestOverfitting(matrix, {splits: 0})).toThrow(InputError)
    expect(() => probabilityOfBacktestOverfitting(matrix, {splits: 22})).toThrow(/combinations/)
    expect(() => probabilityOfBacktestOverfitting(noiseMatrix(1, 10, 3), {splits: 12})).toThrow(/more than the 10 rows/)
    expect(() => probabilityOfBacktestOverfitting(noiseMatrix(1, 40, 1))).toThrow(/at least 2 trials/)
    expect(() => probabilityOfBacktestOverfitting([[1, 2], [3], [4, 5], [6, 7]], {splits: 2})).toThrow(/row 2/)
    expect(() =>
      probabilityOfBacktestOverfitting(
        [
          [1, 2],
          [3, Number.NaN],
          [4, 5],
          [6, 7],
        ],
        {splits: 2},
      ),
    ).toThrow(/not a finite number/)
  })
})

describe('usableSplits', () => {
  it('lowers S to the largest even number the rows allow', () => {
    expect(usableSplits(1000)).toBe(16)
    expect(usableSplits(11)).toBe(10)
    expect(usableSplits(4, 16)).toBe(4)
    expect(usableSplits(5, 16)).toBe(4)
    expect(usableSplits(1000, 30)).toBe(20)
    expect(() => usableSplits(3)).toThrow(InputError)
  })

  it('fits the degradation line as simple-statistics does (least squares of out-of-sample on in-sample)', () => {
    let fitted = 0
    fc.assert(
      fc.property(fc.integer({min: 0, max: 1_000_000}), fc.integer({min: 3, max: 8}), (seed, nTrials) => {
        const result = probabilityOfBacktestOverfitting(noiseMatrix(seed, 40, nTrials), {splits: 4})
        const fit = result.degradationFit
        const points = result.degradation.map((p) => [p.inSample, p.outOfSample])
        if (!fit) return
        fitted++
        const {m, b} = linearRegression(points)
        expect(fit.slope).toBeCloseTo(m, 9)
        expect(fit.intercept).toBeCloseTo(b, 9)
      }),
      {numRuns: 50},
    )
    expect(fitted).toBeGreaterThan(25)
  })
})
