import {appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

const DRAFT =
  /Warning: rigor\.yaml in the working tree differs from the committed one: it is a draft and judges nothing until you commit it/

describe('an uncommitted rigor.yaml edit', () => {
  it('is named by seed, run and work, which follow the committed file, on stderr so --json stays parseable; once committed, nothing is said', () => {
    const r = workspace()
    repo = r
    // a new user tightens the gates and runs at once: the edit would silently judge nothing
    appendFileSync(join(r.dir, 'rigor.yaml'), '# tighter gates, not committed\n')
    writeSpec(r.dir, {nodes: [nodeSpec('d/a'), nodeSpec('d/b')]})
    const seed = rigor(r.dir, ['seed', 'spec.yaml', '--json'])
    expect(seed.code, seed.stderr).toBe(0)
    expect(json(seed).added).toHaveLength(2)
    expect(seed.stderr).toMatch(DRAFT)
    const run = rigor(r.dir, ['run', 'd/a', '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(DRAFT)
    const work = rigor(r.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(json(work).claimed).toBe(1)
    expect(work.stderr).toMatch(DRAFT)
    // a command that only reads (show) says nothing of it; status does, as before
    expect(rigor(r.dir, ['show', 'd/a']).stderr).not.toMatch(DRAFT)
    r.git('commit', '-qam', 'tighter gates')
    expect(rigor(r.dir, ['work', '--json']).stderr).not.toMatch(DRAFT)
  })
})
