import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {InputError} from '../../src/core/errors.js'
import {nodeIdProblem} from '../../src/core/state/ids.js'
import {SeedSweep} from '../../src/core/schemas/seed.js'
import {expandSweep, MAX_SWEEP_VARIANTS, variantName} from '../../src/core/dag/sweeps.js'

const run = {command: ['rigor', 'backtest', '--strategy', 'rsi-reversion']}
const sweep = (fields: Record<string, unknown>) => SeedSweep.parse({id: 'arch/hidden', team: 'arch', run, ...fields})

describe('variantName', () => {
  it('joins key-value pairs in the order of the keys', () => {
    expect(variantName({upper: 70, lower: 25}, ['lower', 'upper'])).toBe('lower-25-upper-70')
    expect(variantName({upper: 70, lower: 25}, ['upper', 'lower'])).toBe('upper-70-lower-25')
  })

  it('writes values through paramSegment: decimal point p, minus m, words lowercased', () => {
    expect(variantName({alpha: 0.5}, ['alpha'])).toBe('alpha-0p5')
    expect(variantName({shift: -1.25}, ['shift'])).toBe('shift-m1p25')
    expect(variantName({loss: 'Sharpe PF', on: true, none: null}, ['loss', 'on', 'none'])).toBe('loss-sharpe-pf-on-true-none-null')
  })

  it('writes exponents so that distinct numbers get distinct names: e+ as e, e- as it was', () => {
    expect(variantName({a: 1e300}, ['a'])).toBe('a-1e300')
    expect(variantName({a: 1e-300}, ['a'])).toBe('a-1e-300')
    expect(variantName({a: -2.5e-7}, ['a'])).toBe('a-m2p5e-7')
    expect(variantName({a: Number.POSITIVE_INFINITY, b: Number.NEGATIVE_INFINITY}, ['a', 'b'])).toBe('a-infinity-b-minfinity')
    const variants = expandSweep(sweep({grid: {lr: [1e300, 1e-300, 1e21, 1e-21]}}))
    expect(variants.map((v) => v.id)).toEqual([
      'arch/hidden/lr-1e300',
      'arch/hidden/lr-1e-300',
      'arch/hidden/lr-1e21',
      'arch/hidden/lr-1e-21',
    ])
  })

  it('gives distinct numbers distinct names', () => {
    fc.assert(
      fc.property(fc.double({noNaN: true}), fc.double({noNaN: true}), (a, b) => {
        fc.pre(a !== b)
        expect(variantName({x: a}, ['x'])).not.toBe(variantName({x: b}, ['x']))
      }),
    )
  })

  it('lowercases keys and writes other characters as _', () => {
    expect(variantName({maxDepth: 3, 'min-leaf': 5, 'l1.ratio': 0.1}, ['maxDepth', 'min-leaf', 'l1.ratio'])).toBe(
      'maxdepth-3-min_leaf-5-l1_ratio-0p1',
    )
  })

  it('refuses a key that the params do not have', () => {
    expect(() => variantName({a: 1}, ['b'])).toThrow(/no "b"/)
  })
})

describe('grid sweeps', () => {
  it("expands the spec's example: 2 × 3 children of the sweep node, first key slowest", () => {
    const variants = expandSweep(sweep({params: {period: 14}, grid: {lower: [25, 30], upper: [70, 75, 80]}}))
    expect(variants.map((v) => v.id)).toEqual([
      'arch/hidden/lower-25-upper-70',
      'arch/hidden/lower-25-upper-75',
      'arch/hidden/lower-25-upper-80',
      'arch/hidden/lower-30-upper-70',
      'arch/hidden/lower-30-upper-75',
      'arch/hidden/lower-30-upper-80',
    ])
    expect(variants[0].params).toEqual({period: 14, lower: 25, upper: 70})
    expect(variants[5].params).toEqual({period: 14, lower: 30, upper: 80})
  })

  it('makes 12 variants from a 3 × 4 grid', () => {
    const variants = expandSweep(sweep({grid: {alpha: [0.1, 0.5, 1], window: [5, 10, 20, 40]}}))
    expect(variants).toHaveLength(12)
    expect(new Set(variants.map((v) => v.id)).size).toBe(12)
    expect(variants[0].id).toBe('arch/hidden/alpha-0p1-window-5')
    expect(variants[11].id).toBe('arch/hidden/alpha-1-window-40')
  })

  it('lets variant params override the shared params', () => {
    const [variant] = expandSweep(sweep({params: {alpha: 9, period: 14}, grid: {alpha: [0.5]}}))
    expect(variant).toEqual({id: 'arch/hidden/alpha-0p5', params: {alpha: 0.5, period: 14}})
  })

  it('collapses repeated values into one variant', () => {
    expect(expandSweep(sweep({grid: {a: [1, 1, 2]}})).map((v) => v.id)).toEqual(['arch/hidden/a-1', 'arch/hidden/a-2'])
  })

  it('refuses two different values that would share a name', () => {
    const error = captureInputError(() => expandSweep(sweep({grid: {kind: ['a b', 'a-b']}}), {file: 'spec.yaml', field: 'sweeps[0]'}))
    expect(error.message).toMatch(/both be named "arch\/hidden\/kind-a-b"/)
    expect(error.file).toBe('spec.yaml')
    expect(error.field).toBe('sweeps[0]')
    expect(() => expandSweep(sweep({grid: {n: [1, '1']}}))).toThrow(InputError)
  })

  it('refuses names that are no valid id segment, naming the sweep', () => {
    const error = captureInputError(() => expandSweep(sweep({grid: {_private: [1]}}), {file: 'spec.yaml', field: 'sweeps[2]'}))
    expect(error.field).toBe('sweeps[2]')
    expect(error.message).toMatch(/invalid node id.*_private-1/)
  })

  it('refuses a grid too big to seed, and a grid without parameters', () => {
    const values = Array.from({length: 101}, (_, i) => i)
    expect(() => expandSweep(sweep({grid: {a: values, b: values}}))).toThrow(
      new RegExp(`${101 * 101} combinations; at most ${MAX_SWEEP_VARIANTS}`),
    )
    expect(() => expandSweep(sweep({grid: {}}))).toThrow(/varies no parameter/)
  })

  it('refuses a sweep with both or neither of grid and random', () => {
    expect(() => expandSweep({id: 'a', params: {}, grid: {a: [1]}, random: {n: 1, seed: 0, params: {b: {min: 0, max: 1}}}})).toThrow(
      /exactly one/,
    )
    expect(() => expandSweep({id: 'a', params: {}})).toThrow(/one of grid or random/)
  })
})

describe('random sweeps', () => {
  const random = (params: Record<string, unknown>, n = 20, seed = 7) => sweep({params: {period: 14}, random: {n, seed, params}})

  it('gives the same variants for the same seed and others for another seed', () => {
    const spec = random({lower: {min: 10, max: 40}})
    const first = expandSweep(spec)
    expect(first).toHaveLength(20)
    expect(expandSweep(spec)).toEqual(first)
    const other = expandSweep(random({lower: {min: 10, max: 40}}, 20, 8))
    expect(other.map((v) => v.id)).not.toEqual(first.map((v) => v.id))
  })

  it('draws n variants from a range wider than the largest double (max - min overflows), each in range', () => {
    const variants = expandSweep(random({lower: {min: -1.7e308, max: 1.7e308}}, 3))
    expect(variants).toHaveLength(3)
    for (const v of variants) expect(Math.abs(v.params.lower as number)).toBeLessThanOrEqual(1.7e308)
  })

  it('draws uniform floats in range, rounded to 4 significant digits that the name spells', () => {
    for (const variant of expandSweep(random({lower: {min: 10, max: 40}}, 200))) {
      const lower = variant.params.lower as number
      expect(lower).toBeGreaterThanOrEqual(10)
      expect(lower).toBeLessThanOrEqual(40)
      expect(Number(lower.toPrecision(4))).toBe(lower)
      expect(variant.id).toBe(`arch/hidden/lower-${String(lower).replace('.', 'p')}`)
      expect(variant.params.period).toBe(14)
    }
  })

  it('spreads uniform draws over the range', () => {
    const values = expandSweep(random({x: {min: 0, max: 1}}, 1000)).map((v) => v.params.x as number)
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    expect(mean).toBeGreaterThan(0.45)
    expect(mean).toBeLessThan(0.55)
    expect(values.filter((x) => x < 0.1).length).toBeGreaterThan(50)
    expect(values.filter((x) => x > 0.9).length).toBeGreaterThan(50)
  })

  it('draws log-uniform values: each decade about equally often', () => {
    const values = expandSweep(random({lr: {min: 1e-5, max: 1e-1, log: true}}, 1000)).map((v) => v.params.lr as number)
    for (const value of values) {
      expect(value).toBeGreaterThanOrEqual(1e-5)
      expect(value).toBeLessThanOrEqual(1e-1)
    }
    const perDecade = [1e-5, 1e-4, 1e-3, 1e-2].map((low) => values.filter((v) => v >= low && v < low * 10).length)
    for (const count of perDecade) expect(count).toBeGreaterThan(180)
    expect(values.every((v) => nodeIdProblem(`a/${variantName({lr: v}, ['lr'])}`) === undefined)).toBe(true)
  })

  it('draws integers with int: true, both ends included', () => {
    const values = expandSweep(random({window: {min: 3, max: 6, int: true}}, 50)).map((v) => v.params.window)
    expect(new Set(values)).toEqual(new Set([3, 4, 5, 6]))
    const logInts = expandSweep(random({trees: {min: 10, max: 1000, int: true, log: true}}, 50)).map((v) => v.params.trees as number)
    expect(logInts.every((t) => Number.isInteger(t) && t >= 10 && t <= 1000)).toBe(true)
  })

  it('stops at the distinct variants a small space holds', () => {
    const variants = expandSweep(random({loss: {choices: ['sharpe', 'sortino', 'calmar']}}, 20))
    expect(variants.map((v) => v.id).sort()).toEqual(['arch/hidden/loss-calmar', 'arch/hidden/loss-sharpe', 'arch/hidden/loss-sortino'])
  })

  it('names multi-parameter variants in the order the params are written', () => {
    const [variant] = expandSweep(random({upper: {min: 60, max: 80, int: true}, lower: {choices: [25]}}, 1))
    expect(variant.id).toMatch(/^arch\/hidden\/upper-\d+-lower-25$/)
  })

  it('keeps the earlier variants when n grows, so re-seeding only adds', () => {
    const few = expandSweep(random({a: {min: 0, max: 1}, b: {choices: [1, 2, 3]}}, 5)).map((v) => v.id)
    const more = expandSweep(random({a: {min: 0, max: 1}, b: {choices: [1, 2, 3]}}, 12)).map((v) => v.id)
    expect(more.slice(0, 5)).toEqual(few)
  })

  it('refuses impossible ranges, naming the parameter', () => {
    const at = {file: 'spec.yaml', field: 'sweeps[1]'}
    const reversed = captureInputError(() => expandSweep(random({lower: {min: 40, max: 10}}), at))
    expect(reversed.field).toBe('sweeps[1].random.params.lower')
    expect(reversed.message).toMatch(/min \(40\) is greater than max \(10\)/)
    expect(() => expandSweep(random({lr: {min: 0, max: 1, log: true}}), at)).toThrow(/needs min > 0/)
    expect(() => expandSweep(random({k: {min: 1.2, max: 1.8, int: true}}), at)).toThrow(/no integer lies between/)
  })

  it('accepts any 32-bit seed, negative included', () => {
    expect(expandSweep(random({a: {min: 0, max: 1}}, 3, -5))).toHaveLength(3)
    expect(expandSweep(random({a: {min: 0, max: 1}}, 3, 2 ** 31 - 1))).toHaveLength(3)
  })
})

describe('properties', () => {
  const key = fc.stringMatching(/^[a-z][a-zA-Z0-9_-]{0,7}$/)
  const value = fc.oneof(
    fc.integer({min: -1_000_000, max: 1_000_000}),
    fc.double({min: -1e6, max: 1e6, noNaN: true}),
    fc.boolean(),
    fc.constant(null),
    fc.stringMatching(/^[A-Za-z0-9 ._-]{1,8}$/),
  )
  // distinct keys, and distinct values after naming, so no collision is expected
  const grid = fc
    .uniqueArray(fc.tuple(key, fc.uniqueArray(value, {minLength: 1, maxLength: 4, selector: (v) => variantName({v}, ['v'])})), {
      minLength: 1,
      maxLength: 4,
      selector: ([k]) => k.toLowerCase().replace(/[^a-z0-9_]+/g, '_'),
    })
    .map((entries) => Object.fromEntries(entries))
    .filter((g) => Object.keys(g).every((k) => !/^\d+$/.test(k)))

  it('grid: size is the product of the value counts, every id valid and unique, deterministic', () => {
    fc.assert(
      fc.property(grid, (values) => {
        const spec = sweep({grid: values})
        const variants = expandSweep(spec)
        const product = Object.values(values).reduce((size, list) => size * list.length, 1)
        const problems = variants
          .flatMap((variant) => [
            nodeIdProblem(variant.id),
            variant.id === `arch/hidden/${variantName(variant.params, Object.keys(values))}`
              ? undefined
              : `${variant.id} is not named from its params`,
          ])
          .filter(Boolean)
        expect(problems).toEqual([])
        expect(variants).toHaveLength(product)
        expect(new Set(variants.map((v) => v.id)).size).toBe(product)
        expect(expandSweep(spec)).toEqual(variants)
      }),
      {numRuns: 200},
    )
  })

  const range = fc
    .tuple(fc.double({min: -1e6, max: 1e6, noNaN: true}), fc.double({min: -1e6, max: 1e6, noNaN: true}), fc.boolean())
    .map(([a, b, int]) => ({min: Math.min(a, b), max: Math.max(a, b) + (int ? 1 : 0), int}))
  const logRange = fc
    .tuple(fc.double({min: 1e-9, max: 1e9, noNaN: true}), fc.double({min: 1e-9, max: 1e9, noNaN: true}))
    .map(([a, b]) => ({min: Math.min(a, b), max: Math.max(a, b), log: true}))
  const choices = fc
    .uniqueArray(value, {minLength: 1, maxLength: 5, selector: (v) => variantName({v}, ['v'])})
    .map((list) => ({choices: list}))
  const randomParams = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fc.oneof(range, logRange, choices), {
    minKeys: 1,
    maxKeys: 3,
  })

  it('random: ids valid and unique, values in range, same seed same variants', () => {
    fc.assert(
      fc.property(randomParams, fc.integer({min: 1, max: 30}), fc.integer(), (params, n, seed) => {
        const spec = sweep({random: {n, seed, params}})
        const variants = expandSweep(spec)
        const problems: Array<string | undefined> = []
        for (const variant of variants) {
          problems.push(nodeIdProblem(variant.id))
          for (const [name, distribution] of Object.entries(params)) {
            const drawn = variant.params[name]
            if ('choices' in distribution) {
              if (!distribution.choices.includes(drawn as never)) problems.push(`${name}=${drawn} is not a choice`)
            } else if (typeof drawn !== 'number' || drawn < distribution.min || drawn > distribution.max) {
              problems.push(`${name}=${drawn} is outside [${distribution.min}, ${distribution.max}]`)
            } else if ('int' in distribution && distribution.int && !Number.isInteger(drawn)) {
              problems.push(`${name}=${drawn} is no integer`)
            }
          }
        }
        expect(problems.filter(Boolean)).toEqual([])
        expect(variants.length).toBeGreaterThan(0)
        expect(variants.length).toBeLessThanOrEqual(n)
        expect(new Set(variants.map((v) => v.id)).size).toBe(variants.length)
        expect(expandSweep(spec)).toEqual(variants)
      }),
      {numRuns: 200},
    )
  })
})

function captureInputError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error('expected an InputError')
}
