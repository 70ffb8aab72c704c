import {spawnSync} from 'node:child_process'
import {hostname} from 'node:os'
import {existsSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const node = (id: string, command: string[] = SH_OK, extra: Record<string, unknown> = {}) => ({
  id,
  team: 'default',
  run: {command, timeout: '1m'},
  ...extra,
})

/** Commits rigor.yaml with the given text. */
function commitConfig(r: TempRepo, text: string) {
  writeFileSync(join(r.dir, 'rigor.yaml'), text)
  r.git('commit', '-qm', 'config', 'rigor.yaml')
}

const GATED = `version: 1\nteams: [{name: default}]\ngates: [{name: g, reject_when: 'metrics.sharpe < 0.0', accept_when: 'metrics.sharpe >= 0.5'}]\n`

describe('config and data come from the state branch tip', () => {
  it('an uncommitted edit of rigor.yaml, or a runner rewriting it during its run, does not change the gates', () => {
    repo = workspace()
    commitConfig(repo, GATED)
    // the runner reports a Sharpe of -2 and tries to rewrite the gates so that it passes
    const cheat = [
      process.execPath,
      '-e',
      `const fs=require('fs');try{fs.writeFileSync(process.env.RIGOR_WORKSPACE+'/rigor.yaml',"version: 1\\nteams: [{name: default}]\\ngates: [{name: g, accept_when: 'true'}]\\n")}catch{};fs.writeFileSync(process.env.RIGOR_OUT+'/verdict.json',JSON.stringify({metrics:{sharpe:-2}}))`,
    ]
    writeSpec(repo.dir, {nodes: [node('a/cheat', cheat), node('a/honest', verdictRunner({sharpe: -2}))]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    // and the user has an uncommitted draft that would accept everything
    writeFileSync(join(repo.dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'true'}]\n`)
    const status = json(rigor(repo.dir, ['status', '--json']))
    expect(status.config_draft).toBe(true)
    expect(rigor(repo.dir, ['work', '--worker', 'w1']).code).toBe(0)
    for (const id of ['a/cheat', 'a/honest']) expect(json(rigor(repo.dir, ['show', id, '--json'])).status).toBe('proven_rejected')
  })

  it('data must be a committed regular file: an untracked symlink to /etc/passwd is refused', () => {
    repo = workspace()
    symlinkSync('/etc/passwd', join(repo.dir, 'prices.csv'))
    writeSpec(repo.dir, {nodes: [node('a/one', SH_OK, {data: 'prices.csv'})]})
    const untracked = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(untracked.code).toBe(2)
    expect(untracked.stderr).toContain('a/one.data')
    expect(untracked.stderr).toContain('not committed')
    repo.git('add', 'prices.csv')
    repo.git('commit', '-qm', 'a symlink')
    const symlink = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(symlink.code).toBe(2)
    expect(symlink.stderr).toContain('symbolic link')
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(0)
  })

  it('RIGOR_DATA holds the committed bytes, not a working-tree edit', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'prices.csv'), 'date,close\n2020-01-01,1\n')
    repo.git('add', 'prices.csv')
    repo.git('commit', '-qm', 'data')
    writeFileSync(join(repo.dir, 'prices.csv'), 'date,close\n2020-01-01,999\n')
    const echo = [
      process.execPath,
      '-e',
      `const fs=require('fs');fs.writeFileSync(process.env.RIGOR_OUT+'/seen.csv',fs.readFileSync(process.env.RIGOR_DATA));fs.writeFileSync(process.env.RIGOR_OUT+'/verdict.json','{"metrics":{"sharpe":1}}')`,
    ]
    writeSpec(repo.dir, {nodes: [node('a/data', echo, {data: 'prices.csv'})]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    expect(repo.git('show', 'main:experiments/a/data/out/seen.csv')).toBe('date,close\n2020-01-01,1')
  })
})

describe('the state branch', () => {
  it('a detached HEAD without branch: in rigor.yaml is refused; with it, rigor works on the named branch', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    repo.git('checkout', '-q', '--detach')
    const detached = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(detached.code).toBe(2)
    expect(detached.stderr).toContain('detached')
    expect(detached.stderr).toContain('branch:')
    repo.git('checkout', '-q', 'main')
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')}\nbranch: main\n`)
    repo.git('commit', '-qam', 'state branch')
    repo.git('checkout', '-q', '--detach')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(repo.git('show', 'main:experiments/a/one/node.yaml')).toContain('id: a/one')
  })

  it('a repository without the branch gets no orphan branch: seed refuses until rigor init', () => {
    repo = gitRepo()
    repo.git('checkout', '-q', '-b', 'trunk')
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    const result = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('rigor init')
    expect(repo.git('for-each-ref', '--format=%(refname)')).toBe('')
  })

  it('branch: with a newline is refused and every ref survives', () => {
    repo = workspace()
    const refsBefore = repo.git('for-each-ref', '--format=%(refname) %(objectname)')
    commitConfig(repo, `version: 1\nbranch: "x\\ndelete refs/heads/main"\nteams: [{name: default}]\n`)
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    const result = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('field "branch"')
    expect(repo.git('rev-parse', '--verify', 'main')).toMatch(/^[0-9a-f]{40}$/)
    expect(refsBefore.split('\n').length).toBe(repo.git('for-each-ref', '--format=%(refname)').split('\n').length)
  })

  it('a worker name with a line break cannot forge a trailer: exit 2 for --worker and RIGOR_WORKER', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const flag = rigor(repo.dir, ['claim', '--worker', 'w\nRigor-Action: deploy'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('--worker')
    const env = rigor(repo.dir, ['work'], {RIGOR_WORKER: 'w\nRigor-Action: deploy'})
    expect(env.code).toBe(2)
    expect(env.stderr).toContain('RIGOR_WORKER')
    expect(repo.git('log', '--format=%B', 'main')).not.toContain('Rigor-Action: deploy')
  })

  it('a stale refs/heads/main.lock fails within a second, naming the lock and how to remove it', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    const lock = join(repo.dir, '.git/refs/heads/main.lock')
    writeFileSync(lock, '')
    const old = new Date(Date.now() - 60_000)
    utimesSync(lock, old, old)
    const result = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('main.lock')
    expect(result.stderr).toContain('rm ')
  })

  it('durations are validated with a bound: 30d, banana and -5s are exit 2 naming run.timeout', () => {
    repo = workspace()
    for (const timeout of ['30d', 'banana', '-5s']) {
      writeSpec(repo.dir, {nodes: [{id: 'a/one', team: 'default', run: {command: SH_OK, timeout}}]})
      const result = rigor(repo.dir, ['seed', 'spec.yaml'])
      expect(result.code, timeout).toBe(2)
      expect(result.stderr, timeout).toContain('run.timeout')
    }
    commitConfig(repo, `version: 1\nteams: [{name: default}]\nlease: {duration: 40d}\n`)
    const lease = rigor(repo.dir, ['status'])
    expect(lease.code).toBe(2)
    expect(lease.stderr).toContain('lease.duration')
  })

  it('a mistyped --team is exit 2 naming the teams', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    for (const args of [
      ['work', '--team', 'defualt'],
      ['claim', '--team', 'defualt'],
      ['status', '--team', 'defualt'],
    ]) {
      const result = rigor(repo.dir, args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toContain('default')
    }
  })
})

describe('seed specs are strict', () => {
  it('refuses requires cycles, YAML tags, invalid UTF-8, overlong ids and unknown spawn teams, writing nothing', () => {
    repo = workspace()
    const head = repo.git('rev-parse', 'main')
    writeSpec(repo.dir, {nodes: [node('a/self', SH_OK, {requires: ['a/self']})]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).stderr).toContain('cycle')
    writeSpec(repo.dir, {nodes: [node('a/x', SH_OK, {requires: ['a/y']}), node('a/y', SH_OK, {requires: ['a/x']})]})
    const cycle = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(cycle.code).toBe(2)
    expect(cycle.stderr).toMatch(/a\/x -> a\/y -> a\/x|a\/y -> a\/x -> a\/y/)
    for (const tagged of ['nodes: !!js/function "function(){}"\n', 'nodes:\n  - id: a/b\n    run: {command: !!binary aGVsbG8=}\n']) {
      writeSpec(repo.dir, tagged)
      const result = rigor(repo.dir, ['seed', 'spec.yaml'])
      expect(result.code, tagged).toBe(2)
      expect(result.stderr, tagged).toContain('tag')
    }
    writeFileSync(
      join(repo.dir, 'spec.yaml'),
      Buffer.concat([Buffer.from('nodes:\n  - id: a/b\n    run: {command: [echo, "'), Buffer.from([0xff, 0xfe]), Buffer.from('"]}\n')]),
    )
    const utf8 = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(utf8.code).toBe(2)
    expect(utf8.stderr).toContain('UTF-8')
    writeSpec(repo.dir, {nodes: [node(`a/${'x'.repeat(1000)}`)]})
    const long = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(long.code).toBe(2)
    expect(long.stderr).toContain('nodes[0].id')
    expect(repo.git('rev-parse', 'main')).toBe(head)
    commitConfig(
      repo,
      `version: 1\nteams: [{name: default}]\nrules: [{name: r, on: [proven_accepted], spawn: [{name: more, team: nosuchteam}]}]\n`,
    )
    const team = rigor(repo.dir, ['status'])
    expect(team.code).toBe(2)
    expect(team.stderr).toContain('rules[0].spawn[0].team')
  })

  it('every problem of a YAML file is listed with its line and a caret', () => {
    repo = workspace()
    writeSpec(repo.dir, 'nodes:\n  - id: a/b\n    run: {command: [echo]\n  - id: a/c\n    team: [\n')
    const result = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/line \d+/)
    expect(result.stderr).toContain('^')
  })

  it('a condition that nests comprehensions three deep is refused at load; a costly one is reported, not run', () => {
    repo = workspace()
    commitConfig(
      repo,
      `version: 1\nteams: [{name: default, waits_for: "nodes.all(a, nodes.all(b, nodes.all(c, a.id != b.id || c.id == a.id)))"}]\n`,
    )
    const deep = rigor(repo.dir, ['status'])
    expect(deep.code).toBe(2)
    expect(deep.stderr).toContain('teams[0].waits_for')
    expect(deep.stderr).toContain('comprehensions')
    commitConfig(
      repo,
      `version: 1\nteams: [{name: bulk}, {name: default, waits_for: "nodes.all(a, nodes.all(b, a.id == b.id || a.team == b.team || a.status == 'x' || b.status == 'y' || a.depth > 99 || b.depth > 99))"}]\n`,
    )
    writeSpec(repo.dir, {
      nodes: [node('a/one'), ...Array.from({length: 1200}, (_, i) => ({id: `bulk/n${i}`, team: 'bulk', run: {command: SH_OK}}))],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const claim = rigor(repo.dir, ['claim', '--team', 'default'])
    expect(claim.code).toBe(3)
    expect(claim.stderr).toContain('steps')
  })
})

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
