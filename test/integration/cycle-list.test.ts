import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor cycle list', () => {
  it('names a damaged record once: the file, then what is wrong with it', () => {
    repo = workspace()
    const skipAll = ['design', 'work', 'audit', 'rank', 'report'].flatMap((s) => ['--skip', s])
    expect(rigor(repo.dir, ['cycle', ...skipAll]).code).toBe(0)
    const dir = join(repo.dir, '.git', 'rigor', 'cycles')
    mkdirSync(dir, {recursive: true})
    const damaged = join(dir, '2020-01-01T00-00-00-000Z.json')
    writeFileSync(damaged, '{"version": 1')
    const listed = rigor(repo.dir, ['cycle', 'list', '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    const {cycles, problems} = json(listed)
    expect(cycles).toHaveLength(1)
    expect(problems).toHaveLength(1)
    expect(problems[0].file).toBe(damaged)
    expect(problems[0].message).toMatch(/^not JSON: /)
    const text = rigor(repo.dir, ['cycle', 'list'])
    // the warning is wrapped at the terminal's width: compared without its line breaks
    expect(text.stderr.replace(/[\s›]+/g, '').split(damaged)).toHaveLength(2)
  })
})
