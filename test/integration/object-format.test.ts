import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'
import {writeSpec} from './helpers.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
  dir = undefined
})

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()

describe('rigor init in a bare repository', () => {
  it('refuses with exit 2 and the fix, and writes nothing into it', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-bare-'))
    const bare = join(dir, 'research.git')
    git(dir, 'init', '-q', '--bare', bare)
    const before = readdirSync(bare).sort()
    for (const args of [['init'], ['init', 'sub/folder']]) {
      const result = rigor(bare, [...args, '--json'])
      expect(result.code).toBe(2)
      expect(json(result).error.message).toContain('bare git repository')
      expect(json(result).error.fix).toContain(`git clone ${bare} <dir>`)
    }
    expect(readdirSync(bare).sort()).toEqual(before)
    expect(existsSync(join(bare, '.git'))).toBe(false)
    expect(rigor(bare, ['status']).code).toBe(2)
  })
})

describe('a SHA-256 repository', () => {
  it('runs init, seed, work and verify with SHA-256 objects; fsck --strict is clean and other worktrees follow', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-sha256-'))
    const root = join(dir, 'repo')
    git(dir, 'init', '-q', '-b', 'main', '--object-format=sha256', root)
    git(root, 'config', 'gc.auto', '0')
    expect(rigor(root, ['init']).code).toBe(0)
    git(root, 'worktree', 'add', '-q', '--detach', join(dir, 'second'))
    writeSpec(root, {nodes: ['a', 'b', 'c'].map((n) => ({id: `sha/${n}`, team: 'default', run: {command: SH_OK}}))})
    expect(rigor(root, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(root, ['work', '--parallel', '2', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(json(work)).toMatchObject({finished: 3})

    const tip = git(root, 'rev-parse', 'main')
    expect(tip).toMatch(/^[0-9a-f]{64}$/)
    expect(json(rigor(root, ['status', '--json'])).by_status.proven_accepted).toBe(3)
    expect(json(rigor(root, ['show', 'sha/a', '--json'])).verdict.metrics.sharpe).toBe(1)
    expect(json(rigor(root, ['verify', '--json'])).ok).toBe(true)
    const fsck = spawnSync('git', ['fsck', '--strict'], {cwd: root, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
    expect(fsck.status).toBe(0)
    expect(fsck.stderr).not.toMatch(/error|bad|warning/)
    expect(git(root, 'status', '--porcelain')).toBe('?? spec.yaml')
    expect(git(join(dir, 'second'), 'rev-parse', 'HEAD')).toBe(tip)
    expect(git(join(dir, 'second'), 'status', '--porcelain')).toBe('')
  })
})
