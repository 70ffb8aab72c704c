import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pidsInDir, SLOW} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

/** `git count-objects -v` as numbers. */
function objectCounts(r: TempRepo): Record<string, number> {
  return Object.fromEntries(
    r
      .git('count-objects', '-v')
      .split('\n')
      .map((line) => line.split(': '))
      .map(([key, value]) => [key!, Number(value)]),
  )
}

describe("git's housekeeping for the objects rigor writes", {timeout: SLOW}, () => {
  it('a command that wrote objects ends with `git gc --auto`, in the foreground: the loose objects are packed, nothing is left running', () => {
    repo = workspace()
    // two packs already and a limit of one: git's own rule then packs everything (loose objects included),
    // whatever objects/17 happens to hold
    for (const name of ['one', 'two']) {
      writeFileSync(join(repo.dir, `${name}.md`), `${name}\n`)
      repo.git('add', `${name}.md`)
      repo.git('commit', '-qm', name)
      repo.git('repack', '-q', '-d')
    }
    repo.git('config', 'gc.auto', '1')
    repo.git('config', 'gc.autoPackLimit', '1')
    // a user's detached gc would outlive the command: rigor runs it in the foreground whatever this says
    repo.git('config', 'gc.autoDetach', 'true')
    expect(objectCounts(repo).packs).toBe(2)
    writeSpec(repo.dir, {nodes: ['a', 'b', 'c'].map((n) => ({id: `h/${n}`, team: 'default', run: {command: ['true']}}))})
    const seed = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seed.code, seed.stderr).toBe(0)
    // the seed packed: two packs became one, its loose objects in it
    expect(objectCounts(repo)).toMatchObject({packs: 1, count: 0})
    // a second pack again (a note of the user's), so that the end of the work loop packs what it wrote
    writeFileSync(join(repo.dir, 'three.md'), 'three\n')
    repo.git('add', 'three.md')
    // (git commit runs gc --auto itself, detached here: not this time)
    repo.git('-c', 'gc.auto=0', 'commit', '-qm', 'three')
    repo.git('repack', '-q', '-d')
    expect(objectCounts(repo)).toMatchObject({packs: 2, count: 0})
    const work = rigor(repo.dir, ['work', '--parallel', '2'])
    expect(work.code, work.stderr).toBe(0)
    // git's gc ran before the command returned, and no git process of this repository is left
    expect(pidsInDir(repo.dir)).toEqual([])
    const after = objectCounts(repo)
    expect(after.packs).toBe(1)
    expect(after.count).toBe(0)
    expect(repo.git('fsck', '--no-progress', '--no-dangling')).toBe('')
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status.inconclusive).toBe(3)
  })
})
