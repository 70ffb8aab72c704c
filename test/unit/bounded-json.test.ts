import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {readBoundedJson, StringCapper} from '../../src/core/dag/bounded-json.js'

const dir = mkdtempSync(join(tmpdir(), 'rigor-bounded-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Feeds `text` to a capper in the given chunk sizes, as the reader does. */
function capped(text: string, maxString: number, cuts: number[]): string {
  const capper = new StringCapper(maxString)
  const bytes = Buffer.from(text)
  let at = 0
  for (const size of cuts) {
    capper.push(bytes.subarray(at, at + size))
    at += size
  }
  capper.push(bytes.subarray(at))
  return capper.text()
}

const key = fc.string({unit: 'grapheme-ascii', maxLength: 5})
const text = fc.string({unit: 'binary', maxLength: 40})
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    {depthSize: 'small'},
    text,
    fc.double({noNaN: true, noDefaultInfinity: true}),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), {maxLength: 4}),
    fc.dictionary(key, tie('node'), {maxKeys: 4}),
  ),
})).node

describe('StringCapper', () => {
  it('passes JSON through unchanged when no string is long, however it is chunked', () => {
    fc.assert(
      fc.property(
        value,
        fc.array(fc.integer({min: 0, max: 7}), {maxLength: 30}),
        (v, cuts) => capped(JSON.stringify(v), 1_000_000, cuts) === JSON.stringify(v),
      ),
    )
  })

  it('keeps valid JSON and a prefix of every long string, with the length it had', () => {
    fc.assert(
      fc.property(value, fc.array(fc.integer({min: 0, max: 7}), {maxLength: 30}), fc.integer({min: 8, max: 30}), (v, cuts, max) => {
        const out = JSON.parse(capped(JSON.stringify(v), max, cuts)) as unknown
        const same = (a: unknown, b: unknown): boolean => {
          if (typeof a === 'string' && typeof b === 'string') {
            const m = /\u0000rigor-cut:(\d+)$/.exec(b)
            if (!m) return a === b && Buffer.byteLength(JSON.stringify(a)) - 2 <= max + 12
            const kept = b.slice(0, m.index)
            return Number(m[1]) === Buffer.byteLength(JSON.stringify(a)) - 2 && Number(m[1]) > max && a.startsWith(kept)
          }
          if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]))
          if (a && b && typeof a === 'object' && typeof b === 'object') {
            const ka = Object.keys(a)
            return ka.length === Object.keys(b).length && ka.every((k) => same((a as any)[k], (b as any)[k]))
          }
          return Object.is(a, b) || a === b
        }
        return same(v, out)
      }),
      {numRuns: 300},
    )
  })
})

describe('readBoundedJson', () => {
  const opts = {maxString: 1000, maxBytes: 100_000, maxFileBytes: 2 ** 31}

  it('reads a 50 MB string as its first bytes and its length', async () => {
    const file = join(dir, 'big.json')
    writeFileSync(file, JSON.stringify({notes: 'é'.repeat(25 * 1024 * 1024), metrics: {a: 1}}))
    const read = await readBoundedJson(file, opts)
    expect(read.ok).toBe(true)
    if (!read.ok) return
    expect(read.value).toEqual({notes: 'é'.repeat(500), metrics: {a: 1}})
    expect(read.cuts).toEqual([{path: 'notes', bytes: 50 * 1024 * 1024}])
  })

  it('refuses too much structure, symlinks and FIFOs without hanging', async () => {
    const many = join(dir, 'many.json')
    writeFileSync(many, JSON.stringify({metrics: Object.fromEntries(Array.from({length: 20_000}, (_, i) => [`m${i}`, i]))}))
    expect(await readBoundedJson(many, opts)).toMatchObject({ok: false, reason: expect.stringContaining('more than 100000 bytes')})
    const link = join(dir, 'link.json')
    symlinkSync('/etc/passwd', link)
    expect(await readBoundedJson(link, opts)).toMatchObject({ok: false, reason: expect.stringContaining('symbolic link')})
    const fifo = join(dir, 'fifo.json')
    execFileSync('mkfifo', [fifo])
    expect(await readBoundedJson(fifo, opts)).toMatchObject({ok: false, reason: expect.stringContaining('not a regular file')})
    expect(await readBoundedJson(join(dir, 'none.json'), opts, 'verdict.json')).toEqual({
      ok: false,
      reason: 'the runner wrote no verdict.json in RIGOR_OUT',
    })
  })
})

describe('readBoundedJson nesting', () => {
  const opts = {maxString: 1000, maxBytes: 10_000_000, maxFileBytes: 2 ** 31}

  it('reads a document nested to the limit and refuses one a level deeper, however deep, without overflowing', async () => {
    const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}"[{"${']'.repeat(depth - 1)}}`
    const file = join(dir, 'nested.json')
    writeFileSync(file, nested(64))
    expect(await readBoundedJson(file, opts)).toMatchObject({ok: true})
    for (const depth of [65, 1_000_000]) {
      writeFileSync(file, nested(depth))
      expect(await readBoundedJson(file, opts, 'verdict.json')).toEqual({
        ok: false,
        reason: 'verdict.json nests arrays or objects more than 64 levels deep',
      })
    }
  })
})
