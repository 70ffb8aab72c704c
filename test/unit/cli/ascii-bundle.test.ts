import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {runInNewContext} from 'node:vm'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
// @ts-expect-error: a build script, plain JavaScript
import {asciiBundle, escapeNonAscii} from '../../../scripts/ascii-bundle.mjs'

const ascii = (code: string): string => asciiBundle(code, 'bundle.cjs') as string
const run = (code: string): unknown => runInNewContext(code)

describe('the ASCII bundle (scripts/ascii-bundle.mjs)', () => {
  it('writes the non-ASCII characters of strings and regular expressions as escapes that mean the same', () => {
    const code = String.raw`[
      "caf\u00e9 µ 😀", 'é\é', /(ns|µs)/.exec('10µs')[2], /^[0-9¹²³]$/.test('²'), /\µ/.test('µ'), /😀/u.test('😀'),
      /^[😀]$/u.test('😀'), /^.$/u.test('😀'), /^..$/.test('😀'), /\\é/.test('\\é'), /[^\x00-\x7f]/.test('é'),
    ]`.replace(/é/g, 'é')
    const escaped = ascii(code)
    expect(escaped).toMatch(/^[\x00-\x7f]*$/)
    expect(run(escaped)).toEqual(run(code))
    expect(escapeNonAscii('/\\µ/')).toBe('/\\u00b5/')
    expect(escapeNonAscii('/\\\\µ/')).toBe('/\\\\\\u00b5/')
  })

  it('keeps any string, and any regular expression matching its own text, the same', () => {
    fc.assert(
      fc.property(fc.string({unit: 'grapheme', maxLength: 12}), fc.boolean(), (text, unicode) => {
        const pattern = text
          .replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
          .replace(/\n/g, '\\n')
          .replace(/\r/g, '\\r')
          .replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
        const code = `[${JSON.stringify(text)}, /^${pattern}$/${unicode ? 'u' : ''}.test(${JSON.stringify(text)})]`
        const escaped = ascii(code)
        expect(escaped).toMatch(/^[\x00-\x7f]*$/)
        expect(run(escaped)).toEqual([text, true])
      }),
      {numRuns: 500},
    )
  })

  it('refuses a template or a comment with a non-ASCII character, naming where, and leaves ASCII code as it is', () => {
    expect(() => ascii('const a = 1\nconst t = html`<p>· x</p>`')).toThrow(/bundle\.cjs:2:15: a template/)
    expect(() => ascii('const u = `${1} → ${2}`')).toThrow(/bundle\.cjs:1:15: a template/)
    expect(() => ascii('const a = 1 // café')).toThrow(/bundle\.cjs:1:19: outside a string or regular expression/)
    expect(() => ascii('const s = "é"\nconst b = 1 /* né */')).toThrow(/bundle\.cjs:2:17: outside a string or regular expression/)
    const plain = 'const a = /x/.test("y")'
    expect(ascii(plain)).toBe(plain)
  })

  it('leaves nothing non-ASCII in the built CLI bundle', () => {
    const bundle = join(__dirname, '..', '..', '..', 'dist', 'rigor.cjs')
    // npm test builds first; a bare vitest run on a fresh checkout has no bundle to look at
    if (!existsSync(bundle)) return
    const text = readFileSync(bundle, 'latin1')
    expect(/[^\x00-\x7f]/.exec(text)?.index).toBeUndefined()
  })
})
