import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'

const work = mkdtempSync(join(tmpdir(), 'rigor-kit-generate-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('rigor data generate --out', () => {
  it('a path ending in a slash names a directory, new or not: refused (exit 2), no file written in its place', () => {
    const run = rigor(work, ['data', 'generate', '--out', 'prices/'])
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain('field "--out": is a directory')
    expect(run.stderr).toContain('Fix: name the CSV file to write, e.g. --out data/prices.csv')
    expect(existsSync(join(work, 'prices'))).toBe(false)
    expect(rigor(work, ['data', 'generate', '--out', 'prices/SYNTH-A.csv']).code).toBe(0)
    expect(existsSync(join(work, 'prices', 'SYNTH-A.csv'))).toBe(true)
  })
})
