import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

let repo: TempRepo | undefined
let scratch: string | undefined
afterEach(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  repo = scratch = undefined
})

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8', stdio: 'pipe'})

describe('a clone that checked out no branch (the remote HEAD names a branch it lacks)', () => {
  it('is told to switch to the branch that holds the workspace, not to run rigor init, with and without --remote', () => {
    repo = workspace()
    scratch = mkdtempSync(join(tmpdir(), 'rigor-unborn-'))
    const bare = join(scratch, 'lab.git')
    // as docs/slurm.md sets one up: git init --bare (HEAD master where that is git's default), then push main
    git(scratch, 'init', '-q', '--bare', bare)
    git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/master')
    repo.git('remote', 'add', 'origin', bare)
    repo.git('push', '-q', 'origin', 'main')
    git(scratch, 'clone', '-q', bare, 'clone')
    const clone = join(scratch, 'clone')
    for (const args of [['status'], ['status', '--remote', 'origin']]) {
      const result = rigor(clone, [...args, '--json'])
      expect(result.code, result.stdout + result.stderr).toBe(2)
      const error = json(result).error
      expect(error.message).toContain('has main')
      expect(error.fix).toContain('git switch main')
      expect(error.fix).not.toMatch(/^run `rigor init`/)
    }
    git(clone, 'switch', '-q', 'main')
    expect(rigor(clone, ['status', '--remote', 'origin']).code).toBe(0)
  })
})
