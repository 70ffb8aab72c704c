import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, json, rigor, verdictRunner} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const node = nodeSpec

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

  it('data: "" is refused naming the field, not seeded as a node without data', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one', SH_OK, {data: ''})], sweeps: [{...node('a/sweep'), data: '', grid: {x: [1]}}]})
    const seed = rigor(repo.dir, ['seed', 'spec.yaml', '--json'])
    expect(seed.code).toBe(2)
    expect(json(seed).error.message).toBe('spec.yaml, field "a/one.data": the path must be a non-empty string')
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
    // the repository's own branch, whatever it is called
    repo.git('branch', '-m', 'main', 'research')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).stderr).toContain('git switch research')
    repo.git('branch', '-m', 'research', 'main')
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

  it('branch: naming a branch that does not exist, or has no rigor.yaml, is exit 2 naming the field and the fix', () => {
    repo = workspace()
    commitConfig(repo, 'version: 1\nbranch: research/state\nteams: [{name: default}]\n')
    const tip = repo.git('rev-parse', 'main')
    const missing = rigor(repo.dir, ['status', '--json'])
    expect(missing.code).toBe(2)
    expect(json(missing).error).toMatchObject({
      message: 'rigor.yaml (at main), field "branch": names research/state as the state branch, but branch research/state does not exist',
      fix: 'create it from this commit (git branch research/state main), or correct branch: in rigor.yaml',
    })
    // a branch without rigor.yaml: the fix is to commit it there, not (as before) "commit it" on the branch that has it
    repo.git('branch', 'research/state', repo.git('commit-tree', repo.git('mktree', '--missing'), '-m', 'empty'))
    const empty = rigor(repo.dir, ['work'])
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain(
      'field "branch": names research/state as the state branch, but branch research/state has no committed rigor.yaml',
    )
    expect(repo.git('rev-parse', 'main')).toBe(tip)
    // the fix given works
    repo.git('branch', '-f', 'research/state', 'main')
    expect(rigor(repo.dir, ['status']).code).toBe(0)
  })

  it('rigor.yaml committed as a symbolic link or a directory is exit 2 saying so, not a schema error or "not committed"', () => {
    repo = workspace()
    repo.git('mv', 'rigor.yaml', 'config.yaml')
    symlinkSync('config.yaml', join(repo.dir, 'rigor.yaml'))
    repo.git('add', 'rigor.yaml')
    repo.git('commit', '-qm', 'a link')
    const link = rigor(repo.dir, ['status', '--json'])
    expect(link.code).toBe(2)
    expect(json(link).error.message).toMatch(/^rigor\.yaml \(at [0-9a-f]{10}\): is committed as a symbolic link, not a regular file/)
    repo.git('rm', '-q', 'rigor.yaml')
    mkdirSync(join(repo.dir, 'rigor.yaml'))
    writeFileSync(join(repo.dir, 'rigor.yaml', 'x'), '')
    repo.git('add', 'rigor.yaml')
    repo.git('commit', '-qm', 'a directory')
    const tip = repo.git('rev-parse', 'main')
    const dir = rigor(repo.dir, ['work'])
    expect(dir.code).toBe(2)
    expect(dir.stderr).toMatch(/^Error: rigor\.yaml \(at [0-9a-f]{10}\): is committed as a directory, not a regular file/)
    expect(repo.git('rev-parse', 'main')).toBe(tip)
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

  it('a stale refs/heads/main.lock (its file over 5 s old) fails at once, naming the lock and how to remove it', () => {
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

  it('a branch lock left by a rigor process killed while it held it goes at once: the next worker claims and runs', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one'), node('a/two')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    // a process that takes the lock as rigor does and is SIGKILLed holding it (one kill in 70 to 100 at random
    // moments of rigor work left such a lock, and every later writer failed)
    const lockModule = pathToFileURL(join(dirname(BIN), '..', 'dist/core/git/ref-lock-owner.js')).href
    const lock = join(repo.dir, '.git/refs/heads/main.lock')
    const killed = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const {takeRefLock} = await import(${JSON.stringify(lockModule)}); takeRefLock(process.argv[1], process.argv[2], 'x'); process.kill(process.pid, 'SIGKILL')`,
        join(repo.dir, '.git'),
        lock,
      ],
      {encoding: 'utf8'},
    )
    expect(killed.signal, killed.stderr).toBe('SIGKILL')
    expect(existsSync(lock)).toBe(true)
    const work = rigor(repo.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(json<{finished: number}>(work).finished).toBe(2)
    expect(existsSync(lock)).toBe(false)
    expect(readdirSync(join(repo.dir, '.git/rigor/ref-locks'))).toEqual([])
    // a lock that names no holder (git's own kind) is still nobody's to remove
    writeFileSync(lock, '')
    const old = new Date(Date.now() - 60_000)
    utimesSync(lock, old, old)
    writeSpec(repo.dir, {nodes: [node('a/three')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(1)
    expect(existsSync(lock)).toBe(true)
  })

  it('an auditor name is held to the rule every auditor name follows (the one rigor.yaml and cycle use): 64 characters at most', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [node('a/one')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    for (const auditor of ['a'.repeat(65), 'Risk', '-risk']) {
      const audit = rigor(repo.dir, ['audit', 'a/one', '--auditor', auditor, '--json'])
      expect(audit.code, auditor).toBe(2)
      expect(json<{error: {message: string}}>(audit).error.message, auditor).toContain('field "--auditor": auditor name')
    }
  })

  it("a remote name is held to git's ref rules before git sees it; the fix never quotes it into a command", () => {
    repo = workspace()
    for (const remote of ['--upload-pack=touch /x', 'a\nb', 'refs/remotes/origin', 'x..y']) {
      const result = rigor(repo.dir, ['status', '--remote', remote, '--json'])
      expect(result.code, remote).toBe(2)
      const error = json<{error: {message: string; fix: string}}>(result).error
      expect(error.message, remote).toContain('field "--remote"')
      expect(error.fix, remote).not.toContain(remote)
    }
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
