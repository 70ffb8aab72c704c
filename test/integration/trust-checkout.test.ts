import {execFileSync, spawnSync} from 'node:child_process'
import {hostname} from 'node:os'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const node = nodeSpec

// apart from trust-state.test.ts (config, data and the state branch): the checkout and its index; the two files run side by side

describe('the checkout never stays behind the state branch', () => {
  it('refuses to commit during a merge, saying which operation and how to finish it', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'notes.md'), 'base\n')
    repo.git('add', 'notes.md')
    repo.git('commit', '-qm', 'notes')
    repo.git('checkout', '-q', '-b', 'other')
    writeFileSync(join(repo.dir, 'notes.md'), 'other\n')
    repo.git('commit', '-qam', 'other')
    repo.git('checkout', '-q', 'main')
    writeFileSync(join(repo.dir, 'notes.md'), 'main\n')
    repo.git('commit', '-qam', 'main')
    try {
      repo.git('merge', 'other')
    } catch {
      // a conflict: the merge stays in progress
    }
    expect(existsSync(join(repo.dir, '.git/MERGE_HEAD'))).toBe(true)
    const head = repo.git('rev-parse', 'main')
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    for (const args of [['seed', 'spec.yaml'], ['work']]) {
      const result = rigor(repo.dir, args)
      expect(result.code, args[0]).toBe(2)
      expect(result.stderr, args[0]).toContain('merge is in progress')
      expect(result.stderr, args[0]).toContain('git merge --abort')
    }
    expect(repo.git('rev-parse', 'main')).toBe(head)
    expect(rigor(repo.dir, ['status']).code).toBe(0)
  })

  it('after a git revert of rigor commits, the next rigor commit leaves nothing staged', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one'), node('a/two')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    repo.git('revert', '--no-edit', 'HEAD')
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    repo.git('commit', '--allow-empty', '-qm', 'a note')
    expect(repo.git('show', 'HEAD:experiments/a/one/verdict.yaml')).toContain('status: proven_accepted')
  })

  it('a stale index.lock: every command says the checkout is behind until the lock is gone; then it catches up', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    writeFileSync(join(repo.dir, '.git/index.lock'), '')
    const seeded = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seeded.code).toBe(0)
    expect(seeded.stderr).toContain('index.lock')
    const status = rigor(repo.dir, ['status'])
    expect(status.stderr).toContain('index.lock')
    // the user removes the lock; the next command brings the checkout up to date
    rmSync(join(repo.dir, '.git/index.lock'))
    const after = rigor(repo.dir, ['status'])
    expect(after.stderr).not.toContain('index.lock')
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(readFileSync(join(repo.dir, 'experiments/a/one/node.yaml'), 'utf8')).toContain('id: a/one')
  })

  it('a runner that wrote into the working tree cannot make a later git commit revert its verdict', () => {
    repo = workspace()
    // writes its own output straight into the working tree, where the verdict commit will put it too
    const stray = [
      process.execPath,
      '-e',
      `const fs=require('fs');const d=process.env.RIGOR_WORKSPACE+'/experiments/a/stray/out';try{fs.mkdirSync(d,{recursive:true});fs.writeFileSync(d+'/x.txt','mine')}catch{};fs.writeFileSync(process.env.RIGOR_OUT+'/x.txt','rigor');fs.writeFileSync(process.env.RIGOR_OUT+'/verdict.json','{"metrics":{"sharpe":1}}')`,
    ]
    writeSpec(repo.dir, {nodes: [node('a/stray', stray)]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    // whatever the working tree shows, the index holds the tip: a commit of it keeps the verdict
    expect(repo.git('diff', '--cached', '--name-only', 'main')).toBe('')
    repo.git('commit', '--allow-empty', '-qm', 'note')
    expect(repo.git('show', 'HEAD:experiments/a/stray/verdict.yaml')).toContain('proven_accepted')
  })
})

describe('file names git allows but a line-based reader cannot carry', () => {
  it('a committed file named with a newline or a tab: the checkout follows, verify passes, a plain git commit keeps every state file', () => {
    repo = workspace()
    for (const name of ['notes\nfile.txt', 'tab\there.txt']) writeFileSync(join(repo.dir, name), 'mine\n')
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'user files')
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    for (const args of [['seed', 'spec.yaml'], ['work']]) {
      const result = rigor(repo.dir, args)
      expect(result.code, args[0]).toBe(0)
      expect(result.stderr, args[0]).not.toContain('could not update the index')
    }
    // nothing staged: above all no state file staged for deletion
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    const verify = rigor(repo.dir, ['verify'])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    const state = repo.git('ls-tree', '-r', '--name-only', 'HEAD', 'experiments').split('\n')
    expect(state).toContain('experiments/a/one/verdict.yaml')
    writeFileSync(join(repo.dir, 'unrelated.txt'), 'x\n')
    repo.git('add', 'unrelated.txt')
    repo.git('commit', '-qm', 'unrelated')
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD', 'experiments').split('\n')).toEqual(state)
    expect(repo.git('show', 'HEAD:experiments/a/one/verdict.yaml')).toContain('status: proven_accepted')
    // the user's files are as they were committed
    expect(repo.git('ls-tree', '-z', '--name-only', 'HEAD').split('\0')).toEqual(
      expect.arrayContaining(['notes\nfile.txt', 'tab\there.txt']),
    )
  })
})

describe('file names that are not UTF-8', () => {
  it('a user’s files named in another encoding keep their names through rigor’s commits, even two that read alike', () => {
    repo = workspace()
    const names = [Buffer.from('caf\xe9.txt', 'latin1'), Buffer.from('caf\xff.txt', 'latin1')]
    for (const name of names) writeFileSync(Buffer.concat([Buffer.from(`${repo.dir}/`), name]), 'mine\n')
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'latin-1 names')
    const listed = () =>
      execFileSync('git', ['ls-tree', '-z', '--name-only', 'HEAD'], {cwd: repo!.dir})
        .toString('latin1')
        .split('\0')
        .filter((n) => n.startsWith('caf'))
    expect(listed()).toEqual(['caf\xe9.txt', 'caf\xff.txt'])
    writeSpec(repo.dir, {nodes: [node('a/one'), node('a/two')]})
    for (const args of [['seed', 'spec.yaml'], ['work']]) expect(rigor(repo.dir, args).code, args[0]).toBe(0)
    // every rigor commit rewrote the root tree: both names are as they were, in git's order (git fsck agrees)
    expect(listed()).toEqual(['caf\xe9.txt', 'caf\xff.txt'])
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    execFileSync('git', ['fsck', '--strict', '--no-progress'], {cwd: repo.dir, stdio: 'pipe'})
  })
})

describe('small things that misled', () => {
  it('concurrent claims print no spurious "uncommitted edits" warning; the report leaves archived nodes out of its top list', async () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: Array.from({length: 8}, (_, i) => node(`a/n${i}`, verdictRunner({sharpe: i, total_return: i / 10, max_drawdown: 0.1}))),
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const claims = await Promise.all(Array.from({length: 4}, (_, i) => rigorAsync(repo.dir, ['claim', '--worker', `c${i}`])))
    for (const c of claims) {
      expect(c.code, c.stderr).toBe(0)
      expect(c.stderr).not.toContain('uncommitted')
    }
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    expect(rigor(repo.dir, ['supervise', '--once']).code).toBeLessThan(2)
    expect(rigor(repo.dir, ['rank', '--objective', 'sharpe', '--keep', '2']).code).toBe(0)
    const report = json(rigor(repo.dir, ['report', '--json']))
    const ids = (report.report?.top ?? report.top).sharpe.map((t: {id: string}) => t.id)
    expect(ids.length).toBeGreaterThan(0)
    const archived = ids.filter((id: string) => json(rigor(repo.dir, ['show', id, '--json'])).archived)
    expect(archived).toEqual([])
  })
})

describe('rigor verify mends an index left behind', () => {
  it('finds index entries older than the tip, brings them up to date and keeps the user staged edit', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one'), node('a/two')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    // as if a sync had failed: the index holds the tree of two commits ago
    repo.git('read-tree', 'HEAD~2')
    writeFileSync(join(repo.dir, 'notes.md'), 'mine\n')
    repo.git('add', 'notes.md')
    expect(repo.git('diff', '--cached', '--name-only', 'HEAD', '--', 'experiments')).not.toBe('')
    const result = json(rigor(repo.dir, ['verify', '--json']))
    expect(result.ok).toBe(true)
    expect(result.index.behind.length).toBeGreaterThan(0)
    expect(result.index.repaired).toBe(result.index.behind.length)
    expect(repo.git('diff', '--cached', '--name-only', 'HEAD', '--', 'experiments')).toBe('')
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('A  notes.md')
  })
})

describe('locks left by a killed process', () => {
  it('a sync or commit lock whose holder is dead is taken over at once (the flaky cycle resume)', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    // a pid that is surely not running: a child that has exited
    const dead = String(spawnSync(process.execPath, ['-e', '0']).pid)
    const host = hostname()
    writeFileSync(join(repo.dir, '.git/rigor-commit.lock'), `${dead} ${host} ${Date.now()}`)
    writeFileSync(join(repo.dir, '.git/rigor/sync.lock'), `${dead} ${host} ${Date.now()}`)
    const seeded = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seeded.code, seeded.stderr).toBe(0)
    expect(seeded.stderr).not.toContain('Warning')
    expect(repo.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(existsSync(join(repo.dir, '.git/rigor/sync.lock'))).toBe(false)
  })
})
