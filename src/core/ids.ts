import {InputError} from './errors.js'

export const MAX_ID_DEPTH = 16
const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/
// names that live beside child directories inside experiments/<id>/
const RESERVED = new Set(['out', 'node.yaml', 'verdict.yaml'])

/** Why `id` is not a valid node id, or undefined when it is. */
export function nodeIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0) return 'a node id must be a non-empty string'
  if (id.startsWith('/')) return `"${id}" is an absolute path; node ids are relative lineage paths such as loss/sharpe-pf`
  const segments = id.split('/')
  if (segments.length > MAX_ID_DEPTH) return `"${id}" is ${segments.length} segments deep; at most ${MAX_ID_DEPTH} are allowed`
  for (const segment of segments) {
    if (segment === '') return `"${id}" has an empty segment (double or trailing slash)`
    if (segment === '.' || segment === '..') return `"${id}" contains "${segment}"; node ids may not walk the file system`
    if (!SEGMENT.test(segment)) {
      return `"${id}": segment "${segment}" must match [a-z0-9][a-z0-9._-]* (lowercase letters, digits, ".", "_", "-")`
    }
    if (RESERVED.has(segment)) return `"${id}": "${segment}" is reserved for rigor's own files and cannot be a segment`
  }
  return undefined
}

export function assertNodeId(id: unknown, where: {file?: string; field?: string} = {}): string {
  const problem = nodeIdProblem(id)
  if (problem) throw new InputError(problem, {...where, fix: 'use a slash-separated lowercase id such as arch/hidden/lower-25'})
  return id as string
}

export const parentId = (id: string): string | undefined => (id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : undefined)
export const idDepth = (id: string): number => id.split('/').length

/** A parameter value as an id segment: `0.5` -> `0p5`, `-1` -> `m1`, `Foo Bar` -> `foo-bar`. */
export function paramSegment(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : String(value).toLowerCase()
  return text
    .replace(/^-/, 'm')
    .replace(/\./g, 'p')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'x'
}
