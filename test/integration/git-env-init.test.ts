import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

/** A repository with one commit of the user's, on master. */
function usersRepository(): TempRepo {
  repo = gitRepo({init: false})
  repo.git('init', '-q', '-b', 'master')
  writeFileSync(join(repo.dir, 'notes.txt'), 'mine\n')
  repo.git('add', 'notes.txt')
  repo.git('commit', '-q', '-m', 'my history')
  return repo
}

describe('rigor init in a repository git will not read', () => {
  it("owned by another user (safe.directory): refused with git's way to trust it, the repository kept", () => {
    const repo = usersRepository()
    // git's own switch for its ownership check: every repository reads as another user's
    const env = {GIT_TEST_ASSUME_DIFFERENT_OWNER: '1'}
    const init = rigor(repo.dir, ['init', '--json'], env)
    expect(init.code).toBe(2)
    const error = json(init).error
    expect(error.message).toContain('another user owns it')
    expect(error.fix).toContain(`git config --global --add safe.directory ${repo.dir}`)
    expect(existsSync(join(repo.dir, '.git'))).toBe(true)
    expect(repo.git('log', '--format=%s', 'master')).toBe('my history')
    // and every other command says the same, not "run rigor init"
    const status = json(rigor(repo.dir, ['status', '--json'], env))
    expect(status.error.message).toContain('another user owns it')
  })

  it('a .git git does not take for a repository (its HEAD lost): a failed init leaves it, history and all', () => {
    const repo = usersRepository()
    rmSync(join(repo.dir, '.git', 'HEAD'))
    // init fails after git init repaired HEAD: a file of the workspace is in the way
    mkdirSync(join(repo.dir, 'audits'))
    writeFileSync(join(repo.dir, 'audits', '.gitkeep'), '')
    const init = rigor(repo.dir, ['init'])
    expect(init.code).toBe(2)
    expect(init.stderr).toContain('audits/.gitkeep already exists')
    expect(repo.git('log', '--format=%s', 'master')).toBe('my history')
  })
})
