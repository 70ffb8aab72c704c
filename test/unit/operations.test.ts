import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {operationInProgress} from '../../src/core/git/operations.js'

let gitDir: string
beforeEach(() => {
  gitDir = mkdtempSync(join(tmpdir(), 'rigor-ops-'))
  // what every git directory holds, and no marker among it
  for (const file of ['HEAD', 'config', 'index', 'ORIG_HEAD', 'FETCH_HEAD']) writeFileSync(join(gitDir, file), '')
  mkdirSync(join(gitDir, 'refs'))
})
afterEach(() => rmSync(gitDir, {recursive: true, force: true}))

describe('the git operation in progress, by the marker files git leaves', () => {
  it('none: no marker, or no such directory', async () => {
    expect(await operationInProgress(gitDir)).toBeUndefined()
    expect(await operationInProgress(join(gitDir, 'missing'))).toBeUndefined()
  })

  it.each([
    ['MERGE_HEAD', 'merge'],
    ['CHERRY_PICK_HEAD', 'cherry-pick'],
    ['REVERT_HEAD', 'revert'],
    ['BISECT_LOG', 'bisect'],
  ])('%s: a %s', async (marker, name) => {
    writeFileSync(join(gitDir, marker), '')
    const op = await operationInProgress(gitDir)
    expect(op?.name).toBe(name)
    expect(op?.finish).toMatch(/git /)
  })

  it('a rebase, with the branch it rewrites; git am in rebase-apply', async () => {
    mkdirSync(join(gitDir, 'rebase-merge'))
    writeFileSync(join(gitDir, 'rebase-merge', 'head-name'), 'refs/heads/main\n')
    expect(await operationInProgress(gitDir)).toMatchObject({name: 'rebase', branch: 'refs/heads/main'})
    rmSync(join(gitDir, 'rebase-merge'), {recursive: true})
    mkdirSync(join(gitDir, 'rebase-apply'))
    expect(await operationInProgress(gitDir)).toMatchObject({name: 'rebase', branch: undefined})
    writeFileSync(join(gitDir, 'rebase-apply', 'applying'), '')
    expect((await operationInProgress(gitDir))?.name).toBe('am')
  })
})
