import {InputError} from '../errors.js'
import {nodeIdProblem} from '../validation.js'

export {MAX_ID_DEPTH, nodeIdProblem} from '../validation.js'

export function assertNodeId(id: unknown, where: {file?: string; field?: string} = {}): string {
  const problem = nodeIdProblem(id)
  if (problem) throw new InputError(problem, {...where, fix: 'use a slash-separated lowercase id such as arch/hidden/lower-25'})
  return id as string
}

export const parentId = (id: string): string | undefined => (id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : undefined)
export const idDepth = (id: string): number => id.split('/').length

/**
 * A parameter value as an id segment: `0.5` -> `0p5`, `-1` -> `m1`, `Foo Bar` -> `foo-bar`.
 * A number's exponent keeps its sign: `1e+300` -> `1e300`, `1e-300` -> `1e-300` (as
 * before, so existing sweeps keep their names), so two different numbers never share a
 * segment (punctuation alone made 1e+300 `1e-300` too).
 */
export function paramSegment(value: unknown): string {
  if (typeof value === 'number') return String(value).toLowerCase().replace(/^-/, 'm').replace('.', 'p').replace('e+', 'e')
  const text = String(value).toLowerCase()
  return (
    text
      .replace(/^-/, 'm')
      .replace(/\./g, 'p')
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'x'
  )
}

/** The most ids a line of human output names before it says how many more (`--json` keeps every one). */
export const IDS_NAMED_AT_MOST = 10

/**
 * The first few of a list of ids for human output: `a, b, c`, or `a, b, ... and 27 more` past `atMost`:
 * cancelling the root of a 30,000-node chain printed every id it blocked on one line.
 */
export function someIds(ids: readonly string[], atMost = IDS_NAMED_AT_MOST): string {
  if (ids.length <= atMost) return ids.join(', ')
  return `${ids.slice(0, atMost).join(', ')}, ... and ${ids.length - atMost} more`
}
