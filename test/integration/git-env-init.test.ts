import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, json, rigor} from '../helpers/cli.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'

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

describe('a folder whose name is not valid UTF-8', () => {
  it('is refused (exit 2), in the current folder and as init named it, rather than set up under another name beside it', () => {
    repo = gitRepo({init: false})
    // made and entered by the shell, as the bytes are: Node's strings cannot name them
    const run = (script: string) =>
      spawnSync('sh', ['-c', script, 'sh', process.execPath, BIN], {cwd: repo!.dir, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
    const inside = run(`d=$(printf 'bad\\377name') && mkdir "$d" && cd "$d" && git init -q && "$1" "$2" init --json`)
    expect(inside.status, inside.stdout).toBe(2)
    expect(JSON.parse(inside.stdout).error.message).toMatch(/^the current folder .*bad\ufffdname is not valid UTF-8/)
    const named = run(`"$1" "$2" init "$(printf 'new\\376')" --json`)
    expect(named.status, named.stdout).toBe(2)
    expect(JSON.parse(named.stdout).error.message).toMatch(/^field "dir": the folder .*new\ufffd is not valid UTF-8/)
    // nothing made beside them: the one folder the shell made, and no workspace in it
    const listing = run('ls -b')
    expect(listing.stdout.trim().split('\n')).toEqual(['bad\\377name'])
    expect(run(`ls -A "$(printf 'bad\\377name')"`).stdout.trim()).toBe('.git')
  })
})
