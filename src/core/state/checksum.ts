import {hash} from 'node:crypto'
import canonicalizeModule from 'canonicalize'

// the package is CommonJS with `export =` typings
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined

// one call, no Hash object: documents are checksummed several times a claim
export const sha256Hex = (data: string | Uint8Array): string => hash('sha256', data, 'hex')
export const sha256 = (data: string | Uint8Array): string => `sha256:${sha256Hex(data)}`

/**
 * The checksum of a state document: sha256 over its RFC 8785 (JCS) canonical JSON
 * without the `checksum` field, so YAML formatting edits keep it and value edits break it.
 */
export function documentChecksum(doc: Record<string, unknown>): string {
  const {checksum: _ignored, ...content} = doc
  // no stripUndefined first: canonicalize already leaves out undefined members (and writes undefined array items as
  // null, as stripUndefined keeps them), so the copy would change nothing but the time a cold status takes
  return sha256(canonicalize(content) ?? '')
}

export function withChecksum<T extends Record<string, unknown>>(doc: T): T & {checksum: string} {
  const clean = stripUndefined(doc) as T
  return {...clean, checksum: documentChecksum(clean)}
}

export type ChecksumResult = {ok: true} | {ok: false; expected: string; actual: string}

export function checkDocument(doc: Record<string, unknown>): ChecksumResult {
  const actual = documentChecksum(doc)
  const expected = typeof doc.checksum === 'string' ? doc.checksum : '(none)'
  return expected === actual ? {ok: true} : {ok: false, expected, actual}
}

/** Drops undefined members so that a field set to undefined and a missing field sum the same. */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => stripUndefined(v)) as T
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v)
    return out as T
  }
  return value
}
