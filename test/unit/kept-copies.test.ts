import {chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {MAX_DURATION_MS} from '../../src/core/validation.js'
import {describeRemovedCopies, pruneKeptCopies, reuseKeptCopy, UNUSED_COPY_MAX_AGE_MS} from '../../src/core/state/kept-copies.js'

const DAY = 24 * 3600_000
let common: string
beforeEach(() => {
  common = mkdtempSync(join(tmpdir(), 'kept-copies-'))
})
afterEach(() => rmSync(common, {recursive: true, force: true}))

/** A file under .git/rigor/<kind>, read-only as rigor writes them, last changed `daysAgo` days ago. */
function copy(kind: string, name: string, daysAgo: number): string {
  const dir = join(common, 'rigor', kind)
  mkdirSync(dir, {recursive: true})
  const path = join(dir, name)
  writeFileSync(path, 'date,close\n', {mode: 0o444})
  age(path, daysAgo)
  return path
}
function age(path: string, daysAgo: number): void {
  const when = (Date.now() - daysAgo * DAY) / 1000
  utimesSync(path, when, when)
}

describe('reuseKeptCopy', () => {
  it('says whether the copy is there as the kind asked, and refreshes its time only when an hour old', () => {
    const file = copy('data', 'a.csv', 20)
    expect(reuseKeptCopy(join(common, 'rigor', 'data', 'missing.csv'), 'file')).toBe(false)
    expect(reuseKeptCopy(file, 'dir')).toBe(false)
    expect(reuseKeptCopy(file, 'file')).toBe(true)
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(DAY)
    // a fresh copy is not written again
    const fresh = Date.now() - 30 * 60_000
    utimesSync(file, fresh / 1000, fresh / 1000)
    expect(reuseKeptCopy(file, 'file')).toBe(true)
    expect(Math.abs(statSync(file).mtimeMs - fresh)).toBeLessThan(1000)
    const view = join(common, 'rigor', 'views', 'abc')
    mkdirSync(view, {recursive: true})
    age(view, 20)
    expect(reuseKeptCopy(view, 'file')).toBe(false)
    expect(reuseKeptCopy(view, 'dir')).toBe(true)
    expect(Date.now() - statSync(view).mtimeMs).toBeLessThan(DAY)
  })
})

describe('pruneKeptCopies', () => {
  it('removes copies, views and inputs unused for four weeks, writers leftovers after a day, and keeps the rest', () => {
    copy('data', 'old.csv', 29)
    copy('data', 'young.csv', 27)
    copy('data', 'young.csv.123.abc.tmp', 2)
    copy('data', 'fresh.csv.123.abd.tmp', 0.5)
    const view = join(common, 'rigor', 'views', 'v1')
    mkdirSync(view, {recursive: true})
    writeFileSync(join(view, 'p.csv'), 'x', {mode: 0o444})
    chmodSync(join(view, 'p.csv'), 0o444)
    age(view, 29)
    copy('inputs', 'k1', 40)
    // a directory rigor does not prune is not looked at
    copy('cache', 'state-v1.json', 100)
    expect(pruneKeptCopies(common)).toEqual(['data/old.csv', 'data/young.csv.123.abc.tmp', 'views/v1', 'inputs/k1'])
    expect(readdirSync(join(common, 'rigor', 'data')).sort()).toEqual(['fresh.csv.123.abd.tmp', 'young.csv'])
    expect(readdirSync(join(common, 'rigor', 'views'))).toEqual([])
    expect(readdirSync(join(common, 'rigor', 'cache'))).toEqual(['state-v1.json'])
    // nothing left to do a second time
    expect(pruneKeptCopies(common)).toEqual([])
  })

  it('keeps a copy longer than any run may last, so none is removed under a run still reading it', () => {
    expect(UNUSED_COPY_MAX_AGE_MS).toBeGreaterThan(MAX_DURATION_MS)
  })

  it('takes the age it is given, and a workspace without copies has nothing to remove', () => {
    expect(pruneKeptCopies(common)).toEqual([])
    copy('data', 'a.csv', 3)
    expect(pruneKeptCopies(common, {maxUnusedMs: 4 * DAY})).toEqual([])
    expect(pruneKeptCopies(common, {maxUnusedMs: 2 * DAY})).toEqual(['data/a.csv'])
    copy('data', 'b.csv', 1)
    expect(pruneKeptCopies(common, {now: Date.now() + UNUSED_COPY_MAX_AGE_MS})).toEqual(['data/b.csv'])
  })
})

describe('describeRemovedCopies', () => {
  it('says nothing for nothing, and names at most five', () => {
    expect(describeRemovedCopies([])).toBeUndefined()
    expect(describeRemovedCopies(['data/a.csv'])).toBe('removed 1 copy unused for four weeks from .git/rigor: data/a.csv')
    const many = Array.from({length: 7}, (_, i) => `data/${i}.csv`)
    expect(describeRemovedCopies(many)).toBe(
      'removed 7 copies unused for four weeks from .git/rigor: data/0.csv, data/1.csv, data/2.csv, data/3.csv, data/4.csv and 2 more',
    )
  })
})
