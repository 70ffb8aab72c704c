/**
 * Sweep expansion: a seed spec's `grid` or seeded `random` sweep becomes variant
 * nodes, children of the sweep's node, named from their params
 * (`arch/hidden/lower-25-upper-70`, `loss/alpha-0p5`).
 *
 * Decisions (README material):
 * - grid: cartesian product; keys in the order written, the first key varying slowest;
 *   values in the order written.
 * - random: pure-rand's Mersenne Twister seeded with `seed` (a 32-bit integer: larger
 *   seeds wrap around); for each variant, one draw per key in
 *   the order written. `{min, max}` uniform, `{log: true}` log-uniform (min > 0),
 *   `{int: true}` integers in [ceil(min), floor(max)], `choices` one of them.
 *   Floats are rounded to 4 significant digits, so the params equal what the name
 *   says. Draws that repeat an earlier variant are skipped; drawing stops at `n`
 *   distinct variants or after 20·n draws (a small discrete space has fewer than n).
 *   Raising `n` keeps the earlier variants, so re-seeding only adds new ones.
 * - Names: `key-value` pairs joined by `-` in key order. Values go through
 *   `paramSegment` (`0.5` -> `0p5`, `-1` -> `m1`, `1e300` -> `1e300`, `1e-300` -> `1e-300`); keys are lowercased with other
 *   characters than [a-z0-9_] written `_` (`maxDepth` -> `maxdepth`, `max-depth` -> `max_depth`).
 * - Identical variants collapse; two different param sets that would get one name
 *   are an input error (a variant must never silently disappear).
 */
import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import type {RandomGenerator} from 'pure-rand'
import {InputError} from '../errors.js'
import {nodeIdProblem, paramSegment, someIds} from '../state/ids.js'
import type {Snapshot} from '../state/store.js'
import type {SeedSweep} from '../schemas/seed.js'
import {InternalError} from '../errors.js'

export interface SweepVariant {
  id: string
  /** the sweep's shared params merged with this variant's */
  params: Record<string, unknown>
}

/** Where a sweep came from, for error messages, e.g. {file: 'spec.yaml', field: 'sweeps[0]'}. */
export interface SweepWhere {
  file?: string
  field?: string
}

export const MAX_SWEEP_VARIANTS = 10_000
export const RANDOM_SIGNIFICANT_DIGITS = 4
/** file systems allow 255 bytes per name; a variant name is one directory */
const MAX_SEGMENT_LENGTH = 255
const DRAWS_PER_VARIANT = 20

type SweepInput = Pick<SeedSweep, 'id' | 'params' | 'grid' | 'random'>
type SweptValues = Record<string, unknown>

export function expandSweep(sweep: SweepInput, where: SweepWhere = {}): SweepVariant[] {
  const field = (suffix: string) => (where.field ? `${where.field}.${suffix}` : suffix)
  if (sweep.grid && sweep.random)
    throw new InputError('a sweep needs exactly one of grid or random', {file: where.file, field: field('grid')})
  if (sweep.grid)
    return collect(sweep, Object.keys(sweep.grid), gridCombinations(sweep.grid, {file: where.file, field: field('grid')}), where)
  if (sweep.random) {
    const keys = Object.keys(sweep.random.params)
    return collect(sweep, keys, randomDraws(sweep.random, {file: where.file, field: field('random')}), where)
  }
  throw new InputError('a sweep needs one of grid or random', {file: where.file, field: field('grid')})
}

/** `lower-25-upper-70`: `key-value` pairs in the order of `keys`. */
export function variantName(params: Record<string, unknown>, keys: string[]): string {
  return keys
    .map((key) => {
      if (!(key in params)) throw new InternalError(`variantName: params have no "${key}"`)
      return `${keySegment(key)}-${paramSegment(params[key])}`
    })
    .join('-')
}

function keySegment(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9_]+/g, '_')
}

/** Names, checks and de-duplicates the variants, keeping the order they came in. */
function collect(sweep: SweepInput, keys: string[], combinations: Iterable<SweptValues>, where: SweepWhere): SweepVariant[] {
  const sweepField = where.field ?? 'sweep'
  if (keys.length === 0) {
    throw new InputError('the sweep varies no parameter', {
      file: where.file,
      field: sweepField,
      fix: 'list at least one parameter under grid or random.params',
    })
  }
  const byId = new Map<string, {swept: SweptValues; variant: SweepVariant}>()
  for (const swept of combinations) {
    const name = variantName(swept, keys)
    const id = `${sweep.id}/${name}`
    const problem =
      nodeIdProblem(id) ??
      (name.length > MAX_SEGMENT_LENGTH
        ? `variant name "${name.slice(0, 40)}..." is longer than ${MAX_SEGMENT_LENGTH} characters`
        : undefined)
    if (problem) {
      throw new InputError(`sweep "${sweep.id}" would create an invalid node id: ${problem}`, {
        file: where.file,
        field: sweepField,
        fix: 'use lowercase parameter names that start with a letter or digit, and fewer or shorter values',
      })
    }
    const earlier = byId.get(id)
    if (earlier) {
      if (!sameValues(earlier.swept, swept, keys)) {
        throw new InputError(`sweep "${sweep.id}": ${describe(earlier.swept)} and ${describe(swept)} would both be named "${id}"`, {
          file: where.file,
          field: sweepField,
          fix: 'use values that differ after lowercasing and replacing punctuation',
        })
      }
      continue
    }
    byId.set(id, {swept, variant: {id, params: {...(sweep.params ?? {}), ...swept}}})
  }
  return [...byId.values()].map((entry) => entry.variant)
}

function sameValues(a: SweptValues, b: SweptValues, keys: string[]): boolean {
  return keys.every((key) => a[key] === b[key])
}

function describe(values: SweptValues): string {
  return JSON.stringify(values)
}

// ---------------------------------------------------------------------------
// grid

function* gridCombinations(grid: Record<string, unknown[]>, where: SweepWhere): Generator<SweptValues> {
  const keys = Object.keys(grid)
  let size = 1
  for (const key of keys) {
    if (grid[key].length === 0)
      throw new InputError(`grid parameter "${key}" has no values`, {file: where.file, field: `${where.field}.${key}`})
    size *= grid[key].length
  }
  if (size > MAX_SWEEP_VARIANTS) {
    throw new InputError(`the grid has ${size} combinations; at most ${MAX_SWEEP_VARIANTS} are allowed`, {
      file: where.file,
      field: where.field,
      fix: 'use fewer values, split the sweep, or use a random sweep',
    })
  }
  // odometer over value indices: the last key turns fastest
  const indices = keys.map(() => 0)
  for (let produced = 0; produced < size; produced++) {
    yield Object.fromEntries(keys.map((key, k) => [key, grid[key][indices[k]]]))
    for (let k = keys.length - 1; k >= 0; k--) {
      indices[k]++
      if (indices[k] < grid[keys[k]].length) break
      indices[k] = 0
    }
  }
}

// ---------------------------------------------------------------------------
// random

type RandomSpec = NonNullable<SeedSweep['random']>
type Distribution = RandomSpec['params'][string]
type Draw = (rng: RandomGenerator) => unknown

function* randomDraws(random: RandomSpec, where: SweepWhere): Generator<SweptValues> {
  const keys = Object.keys(random.params)
  const draws = keys.map((key) => [key, drawFor(random.params[key], {file: where.file, field: `${where.field}.params.${key}`})] as const)
  // Mersenne Twister: xoroshiro128+ seeded with 7 and 8 gives nearly the same first
  // draws, which would make neighbouring seeds sample nearly the same variants
  const rng = mersenne(random.seed ?? 0)
  // identical draws collapse in collect(); drawing more makes up for them, bounded
  // because a small discrete space may hold fewer than n variants
  const seen = new Set<string>()
  for (let attempt = 0; attempt < random.n * DRAWS_PER_VARIANT && seen.size < random.n; attempt++) {
    const values: SweptValues = Object.fromEntries(draws.map(([key, draw]) => [key, draw(rng)]))
    const identity = JSON.stringify(keys.map((key) => values[key]))
    if (seen.has(identity)) continue
    seen.add(identity)
    yield values
  }
}

function drawFor(spec: Distribution, where: SweepWhere): Draw {
  if ('choices' in spec) {
    const choices = spec.choices
    return (rng) => choices[unsafeUniformIntDistribution(0, choices.length - 1, rng)]
  }
  const {min, max} = spec
  const bad = (message: string, fix: string) => new InputError(message, {file: where.file, field: where.field, fix})
  if (!(Number.isFinite(min) && Number.isFinite(max)))
    throw bad('min and max must be finite numbers', 'write numbers such as {min: 0.1, max: 2}')
  if (min > max) throw bad(`min (${min}) is greater than max (${max})`, 'swap min and max')
  if (spec.log && min <= 0) throw bad(`a log-uniform range needs min > 0 (got ${min})`, 'use a positive min, or drop log: true')

  if (spec.int) {
    const low = Math.ceil(min)
    const high = Math.floor(max)
    if (low > high) throw bad(`no integer lies between ${min} and ${max}`, 'widen the range or drop int: true')
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) throw bad('integer bounds must be safe integers', 'use a smaller range')
    if (!spec.log) return (rng) => unsafeUniformIntDistribution(low, high, rng)
    return (rng) => Math.min(high, Math.max(low, Math.round(logUniform(min, max, rng))))
  }
  if (spec.log) return (rng) => clamp(roundSignificant(logUniform(min, max, rng)), min, max)
  // a range wider than the largest double (-1e308 to 1e308) overflows max - min to Infinity, and every draw became max:
  // such a range is drawn from its two ends; every other keeps the formula its sweeps were drawn with
  if (!Number.isFinite(max - min)) return (rng) => clamp(roundSignificant(spanDraw(min, max, unitInterval(rng))), min, max)
  return (rng) => clamp(roundSignificant(min + unitInterval(rng) * (max - min)), min, max)
}

/** The point `u` of the way from min to max, without forming max - min. */
function spanDraw(min: number, max: number, u: number): number {
  return min * (1 - u) + max * u
}

/** A double in [0, 1) from 53 random bits (pure-rand's documented recipe). */
function unitInterval(rng: RandomGenerator): number {
  const high = unsafeUniformIntDistribution(0, (1 << 26) - 1, rng)
  const low = unsafeUniformIntDistribution(0, (1 << 27) - 1, rng)
  return (high * 2 ** 27 + low) * 2 ** -53
}

function logUniform(min: number, max: number, rng: RandomGenerator): number {
  return Math.exp(Math.log(min) + unitInterval(rng) * (Math.log(max) - Math.log(min)))
}

function roundSignificant(value: number): number {
  // toPrecision rounds -0.00001 to "-0.00001000"; adding 0 turns -0 into 0
  return Number(value.toPrecision(RANDOM_SIGNIFICANT_DIGITS)) + 0
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

/**
 * The error for a sweep group named where a node that runs is wanted (`rigor run`, `rerun`, `assess`): bad input
 * (exit 2), whose fix names a few of its variants and how to list them all.
 */
export function sweepGroupNamed(snap: Snapshot, id: string, opts: {problem: string; fix: string}): InputError {
  const variants = [...snap.nodes.values()].filter((record) => record.node?.parent === id).map((record) => record.id)
  const some = variants.length ? `: ${someIds(variants, 3)} (rigor show ${id} lists all ${variants.length})` : ''
  return new InputError(`${id} is a sweep group, ${opts.problem}`, {fix: `${opts.fix}${some}`})
}
