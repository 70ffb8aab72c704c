import {execFileSync} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// what rigor says of a rigor.yaml it reads at the state branch's tip: missing there, or wrong there
let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor.yaml at the branch tip', () => {
  it('removed by a commit: names the commit and the command that restores it, not rigor init; a repository that never had one is told rigor init', () => {
    repo = workspace()
    repo.git('rm', '-q', 'rigor.yaml')
    repo.git('commit', '-qm', 'tidy up')
    const removedBy = repo.git('log', '-1', '--format=%h')
    const status = rigor(repo.dir, ['status'])
    expect(status.code).toBe(2)
    expect(status.stderr).toContain(`rigor.yaml is missing at the tip of branch main: commit ${removedBy} removed it`)
    const restore = `git checkout ${removedBy}^ -- rigor.yaml && git commit -m "restore rigor.yaml"`
    expect(status.stderr).toContain(restore)
    expect(status.stderr).not.toContain('rigor init')
    expect(json(rigor(repo.dir, ['status', '--json'])).error).toMatchObject({exit: 2, fix: expect.stringContaining(restore)})
    // restored as uncommitted: the draft is named, with the commit, and rigor init still not offered
    repo.git('checkout', `${removedBy}^`, '--', 'rigor.yaml')
    const draft = rigor(repo.dir, ['status'])
    expect(draft.stderr).toContain(`not committed on branch main (commit ${removedBy} removed it)`)
    expect(draft.stderr).not.toContain('rigor init')
    // the command given works
    repo.git('commit', '-qm', 'restore rigor.yaml')
    expect(rigor(repo.dir, ['status']).code).toBe(0)

    const never = gitRepo()
    try {
      writeFileSync(join(never.dir, 'notes.md'), 'notes\n')
      never.git('add', 'notes.md')
      never.git('commit', '-qm', 'notes')
      const fresh = rigor(never.dir, ['status'])
      expect(fresh.code).toBe(2)
      expect(fresh.stderr).toContain('branch main has no committed rigor.yaml')
      expect(fresh.stderr).toContain('run `rigor init` first')
    } finally {
      never.cleanup()
    }
  })

  it('every message about the committed config names the branch it was read at, a remote branch included', () => {
    repo = workspace()
    const file = join(repo.dir, 'rigor.yaml')
    const good = readFileSync(file, 'utf8')
    // a team added in the working tree only: the seed that names it is told which rigor.yaml counts
    writeFileSync(file, good.replace(/^teams:\n/m, 'teams:\n  - name: other\n'))
    writeSpec(repo.dir, {nodes: [nodeSpec('x/a', undefined, {team: 'other'})]})
    const seed = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seed.code).toBe(2)
    expect(seed.stderr).toContain('team "other" of x/a is not in rigor.yaml (at main)')
    expect(seed.stderr).toContain('and commit it')
    // a condition that does not compile is checked when the config loads: named with the branch, like a schema error
    writeFileSync(file, good.replace(/metrics\.sharpe < 0\.0/, 'metrics.sharpe <'))
    repo.git('commit', '-qam', 'a broken gate')
    const status = rigor(repo.dir, ['status'])
    expect(status.code).toBe(2)
    expect(status.stderr).toContain('rigor.yaml (at main), field "gates[0].reject_when"')
    // through a remote, the remote's branch
    const clone = `${repo.dir}-clone`
    execFileSync('git', ['clone', '-q', repo.dir, clone])
    try {
      repo.git('checkout', '-q', 'HEAD~1', '--', 'rigor.yaml')
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^version: 1$/m, 'version: 1\nbogus: 1'))
      repo.git('commit', '-qam', 'an unknown key')
      const remote = rigor(clone, ['status', '--remote', 'origin'])
      expect(remote.code).toBe(2)
      expect(remote.stderr).toContain('rigor.yaml (at origin/main), field "bogus"')
    } finally {
      rmSync(clone, {recursive: true, force: true})
    }
  })

  it('made invalid by a commit while a worker runs: the run under way is recorded and nothing stays claimed; the next claim stops it with the config error (exit 2)', () => {
    repo = workspace()
    // the first node's runner commits a rigor.yaml with an unknown key on main by plumbing, as a teammate's push lands
    const typo = [
      "const {execFileSync: x} = require('child_process'); const fs = require('fs');",
      "const who = {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'};",
      "const c = {cwd: process.env.RIGOR_WORKSPACE, encoding: 'utf8', env: {...process.env, ...who}};",
      "const text = x('git', ['show', 'main:rigor.yaml'], c) + 'bogus: 1\\n';",
      "const blob = x('git', ['hash-object', '-w', '--stdin'], {...c, input: text}).trim();",
      'for (let i = 0; i < 50; i++) {',
      "  const tip = x('git', ['rev-parse', 'main'], c).trim();",
      "  const entries = x('git', ['ls-tree', tip], c).split('\\n').filter((l) => l && !l.endsWith('\\trigor.yaml'));",
      "  const tree = x('git', ['mktree'], {...c, input: [...entries, '100644 blob ' + blob + '\\trigor.yaml'].join('\\n') + '\\n'}).trim();",
      "  const next = x('git', ['commit-tree', tree, '-p', tip, '-m', 'a typo'], c).trim();",
      "  try { x('git', ['update-ref', 'refs/heads/main', next, tip], c); break } catch {}",
      '}',
      'fs.writeFileSync(process.env.RIGOR_OUT + \'/verdict.json\', \'{"metrics":{"sharpe":1}}\');',
    ].join('\n')
    writeSpec(repo.dir, {
      nodes: [
        {
          ...nodeSpec('x/typo', [process.execPath, '-e', typo]),
          run: {command: [process.execPath, '-e', typo], sandbox: 'off'},
          priority: 9,
        },
        nodeSpec('x/next'),
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--worker', 'w', '--json'])
    expect(work.code, work.stderr).toBe(2)
    expect(json(work).error.message).toContain('rigor.yaml (at main), field "bogus"')
    expect(json(work).error.message).toContain('committed while this command ran')
    // the run was recorded by the rigor.yaml it started under; nothing was claimed after, nothing stays claimed
    expect(repo.git('show', 'main:rigor.yaml')).toContain('bogus: 1')
    expect(repo.git('show', 'main:experiments/x/typo/node.yaml')).toMatch(/status: proven_accepted/)
    expect(repo.git('ls-tree', '--name-only', 'main', 'experiments/x/typo/')).toContain('verdict')
    expect(repo.git('show', 'main:experiments/x/next/node.yaml')).toMatch(/status: pending/)
    expect(repo.git('show', 'main:experiments/x/next/node.yaml')).not.toMatch(/lease_until/)
  })
})
