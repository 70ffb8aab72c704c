import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// how the read-only views treat an unknown id and a verdict file edited by hand and committed
let repo: TempRepo
afterEach(() => repo?.cleanup())

/** stderr with oclif's warnings unwrapped (it wraps them at the terminal's width) */
const unwrapped = (stderr: string) => stderr.replace(/\s*\n ›\s+/g, ' ')

/** Three accepted nodes; the verdict of `r/b` then edited by hand and committed (its checksum no longer matches). */
function withCorruptVerdict(): TempRepo {
  const r = workspace()
  writeSpec(r.dir, {
    nodes: [
      nodeSpec('r/a', verdictRunner({sharpe: 1.2})),
      nodeSpec('r/b', verdictRunner({sharpe: 0.9})),
      nodeSpec('r/c', verdictRunner({sharpe: 0.5})),
    ],
  })
  expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
  expect(rigor(r.dir, ['work']).code).toBe(0)
  const file = join(r.dir, 'experiments/r/b/verdict.yaml')
  writeFileSync(file, readFileSync(file, 'utf8').replace('sharpe: 0.9', 'sharpe: 9.9'))
  r.git('commit', '-qam', 'a better number')
  return r
}

describe('unknown ids and unreadable verdicts in the views', () => {
  it('rigor show of an unknown id suggests the closest ids', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('trend/momentum/lookback-20'), nodeSpec('trend/momentum/lookback-60'), nodeSpec('other/x')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const shown = rigor(repo.dir, ['show', 'trend/momentum/lookbak-20'])
    expect(shown.code).toBe(2)
    expect(shown.stderr).toContain('no node trend/momentum/lookbak-20')
    expect(shown.stderr).toContain('did you mean trend/momentum/lookback-20')
    expect(shown.stderr).not.toContain('other/x')
    const asJson = json(rigor(repo.dir, ['show', 'trend/momentum/lookbak-20', '--json']))
    expect(asJson.error.fix).toContain('trend/momentum/lookback-20')
    // rigor log --node with a mistyped id finds nothing: it says so, with the closest ids, on stderr (stdout stays empty)
    const log = rigor(repo.dir, ['log', '--node', 'trend/momentum/lookbak-20'])
    expect(log.code).toBe(0)
    expect(log.stdout).toBe('')
    expect(unwrapped(log.stderr)).toMatch(/no node trend\/momentum\/lookbak-20 on the branch; did you mean trend\/momentum\/lookback-20/)
    const logJson = rigor(repo.dir, ['log', '--node', 'trend/momentum/lookbak-20', '--json'])
    expect(logJson.stdout).toBe('')
    expect(rigor(repo.dir, ['log', '--node', 'trend/momentum/lookback-20']).stderr).toBe('')
    // nothing close: the usual pointer to status and graph
    const far = rigor(repo.dir, ['show', 'zzz/unrelated'])
    expect(far.code).toBe(2)
    expect(far.stderr).not.toContain('did you mean')
    expect(far.stderr).toContain('rigor status')
  })

  it('rigor status says how many verdict files are unreadable and points to rigor verify; show names it with the fix', () => {
    repo = withCorruptVerdict()
    const status = rigor(repo.dir, ['status'])
    expect(status.code).toBe(0)
    expect(unwrapped(status.stderr)).toMatch(/experiments\/r\/b\/verdict\.yaml: checksum mismatch/)
    expect(unwrapped(status.stderr)).toMatch(/1 state file\(s\) cannot be used.*rigor verify/)
    const summary = json(rigor(repo.dir, ['status', '--json']))
    expect(summary.problems).toEqual([expect.objectContaining({file: 'experiments/r/b/verdict.yaml', kind: 'corrupt'})])
    // the node is still counted by its node file
    expect(summary.by_status.proven_accepted).toBe(3)
    // metrics count the same file
    const metrics = json(rigor(repo.dir, ['metrics', '--json']))
    const problems = metrics.families.find((f: any) => f.name === 'rigor_state_problems').samples
    expect(problems.find((s: any) => s.labels.file === 'verdict').value).toBe(1)
    // and the dashboard's overview lists it with the other unusable files
    expect(rigor(repo.dir, ['site', '--out', 'site']).code).toBe(0)
    const overview = readFileSync(join(repo.dir, 'site/index.html'), 'utf8')
    expect(overview).toMatch(/<table id="problems">[\s\S]*experiments\/r\/b\/verdict\.yaml/)
    // rigor show shows the node without its verdict, names the file, why, and the command that restores rigor's version
    const rigorsVersion = repo.git('log', '-1', '--format=%H', '--grep=^Rigor-Action: verdict', '--', 'experiments/r/b/verdict.yaml')
    const shown = rigor(repo.dir, ['show', 'r/b'])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout.split('\n')[0]).toBe('# r/b  (proven_accepted, verdict unreadable)')
    expect(shown.stdout).toContain('team: default')
    expect(shown.stdout).toMatch(/## verdict\ncannot be read: experiments\/r\/b\/verdict\.yaml: checksum mismatch/)
    expect(shown.stdout).toContain(`git checkout ${rigorsVersion.slice(0, 10)} -- experiments/r/b/verdict.yaml`)
    const shownJson = json(rigor(repo.dir, ['show', 'r/b', '--json']))
    expect(shownJson.status).toBe('proven_accepted')
    expect(shownJson.verdict).toBeNull()
    expect(shownJson.problems).toEqual([
      {
        file: 'experiments/r/b/verdict.yaml',
        kind: 'corrupt',
        message: expect.stringContaining('checksum mismatch'),
        fix: expect.stringContaining(`git checkout ${rigorsVersion.slice(0, 10)} -- experiments/r/b/verdict.yaml`),
      },
    ])
    expect(json(rigor(repo.dir, ['show', 'r/a', '--json'])).problems).toEqual([])

    // a verdict whose node.yaml was removed by hand belongs to no node: status names it, metrics count it
    repo.git('rm', '-q', 'experiments/r/c/node.yaml')
    repo.git('commit', '-qm', 'one node fewer')
    const orphaned = json(rigor(repo.dir, ['status', '--json']))
    expect(orphaned.total).toBe(2)
    expect(orphaned.problems).toEqual([
      expect.objectContaining({file: 'experiments/r/b/verdict.yaml', kind: 'corrupt'}),
      {
        file: 'experiments/r/c/verdict.yaml',
        kind: 'orphan',
        message: expect.stringContaining('experiments/r/c/node.yaml is not on the branch'),
      },
    ])
    expect(unwrapped(rigor(repo.dir, ['status']).stderr)).toMatch(
      /experiments\/r\/c\/verdict\.yaml: a verdict without its node.*rigor verify.*2 state file\(s\) cannot be used/,
    )
    const counted = json(rigor(repo.dir, ['metrics', '--json'])).families.find((f: any) => f.name === 'rigor_state_problems')
    expect(counted.samples.find((s: any) => s.labels.file === 'verdict').value).toBe(2)
  })

  it('rigor rank skips a hand-corrupted verdict, says so, and ranks the rest', () => {
    repo = withCorruptVerdict()
    const rank = rigor(repo.dir, ['rank', '--keep', '1'])
    expect(rank.code).toBe(0)
    expect(unwrapped(rank.stderr)).toMatch(/skipped r\/b: experiments\/r\/b\/verdict\.yaml: checksum mismatch.*rigor verify/)
    expect(rank.stdout).toContain('r/a')
    expect(rank.stdout).not.toContain('r/b')
    const again = json(rigor(repo.dir, ['rank', '--json']))
    expect(again.ranking.ranked.map((n: any) => n.id)).toEqual(['r/a', 'r/c'])
    expect(again.skipped).toEqual([expect.objectContaining({id: 'r/b', file: 'experiments/r/b/verdict.yaml'})])
    // the skipped node is neither kept nor archived by the ranking
    expect(json(rigor(repo.dir, ['status', '--json'])).archived).toBe(0)
  })

  it('a hand-edited ranking record is left out of rank --history and the site, named, instead of failing both', () => {
    repo = withCorruptVerdict()
    expect(rigor(repo.dir, ['rank', '--objective', 'sharpe']).code).toBe(0)
    expect(rigor(repo.dir, ['rank', '--objective', 'pareto']).code).toBe(0)
    const files = repo.git('ls-files', 'reports/rankings').split('\n').filter(Boolean)
    expect(files).toHaveLength(2)
    const edited = files.find((f) => f.endsWith('-sharpe.yaml'))!
    writeFileSync(join(repo.dir, edited), readFileSync(join(repo.dir, edited), 'utf8').replace('by: ', 'by: someone-'))
    repo.git('commit', '-qam', 'who ranked')

    const history = rigor(repo.dir, ['rank', '--history'])
    expect(history.code).toBe(0)
    expect(history.stdout).toContain('pareto')
    expect(unwrapped(history.stderr)).toMatch(new RegExp(`${edited}: checksum mismatch.*left out.*rigor verify`))
    const asJson = json(rigor(repo.dir, ['rank', '--history', '--json']))
    expect(asJson.history.map((h: any) => h.objective)).toEqual(['pareto'])
    expect(asJson.unusable).toEqual([expect.objectContaining({file: edited})])

    const site = rigor(repo.dir, ['site', '--out', 'site'])
    expect(site.code, site.stderr).toBe(0)
    const leaderboard = readFileSync(join(repo.dir, 'site/leaderboard.html'), 'utf8')
    expect(leaderboard).toMatch(new RegExp(`class="warn">1 ranking record\\(s\\) cannot be used[^<]*${edited}`))
  })

  it('rigor status names the state files edited in the working tree and not committed: it counts the committed ones', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('w/a'), nodeSpec('w/b')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const file = join(repo.dir, 'experiments/w/a/node.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('priority: 0', 'priority: 9'))
    const status = rigor(repo.dir, ['status'])
    expect(status.code).toBe(0)
    expect(unwrapped(status.stderr)).toMatch(
      /experiments\/w\/a\/node\.yaml has uncommitted edits: status counts the committed version.*not claimed from this checkout/,
    )
    const summary = json(rigor(repo.dir, ['status', '--json']))
    expect(summary.local_edits).toEqual(['experiments/w/a/node.yaml'])
    expect(summary.by_status.pending).toBe(2)
    // show of that node says the same
    const shown = rigor(repo.dir, ['show', 'w/a'])
    expect(shown.stdout).toContain('priority: 0')
    expect(unwrapped(shown.stderr)).toMatch(/experiments\/w\/a\/node\.yaml has uncommitted edits: shown as committed/)
    expect(rigor(repo.dir, ['show', 'w/b']).stderr).toBe('')
    // w/b is claimed; then w/a, the one pending node, is left out here, and claim says so rather than "no pending node"
    expect(rigor(repo.dir, ['claim', '--worker', 'me']).stdout.trim()).toBe('w/b')
    const none = rigor(repo.dir, ['claim', '--worker', 'me', '--json'])
    expect(none.code).toBe(3)
    expect(json(none).error.message).toMatch(
      /blocked.*1 pending node\(s\) cannot start yet: w\/a \(its node\.yaml has uncommitted edits in this checkout\)/,
    )
    // nor does rigor run claim it by name: it would run the committed priority 0, and leave the edit behind its verdict
    const run = rigor(repo.dir, ['run', 'w/a', '--json'])
    expect(run.code).toBe(1)
    expect(json(run).error.message).toMatch(/experiments\/w\/a\/node\.yaml has uncommitted edits: node w\/a is not run from this checkout/)
    expect(json(run).error.fix).toMatch(/commit .*or restore/)
    expect(json(rigor(repo.dir, ['show', 'w/a', '--json'])).status).toBe('pending')
    expect(readFileSync(file, 'utf8')).toContain('priority: 9')
    // restored: nothing to say
    repo.git('checkout', '--', 'experiments/w/a/node.yaml')
    expect(json(rigor(repo.dir, ['status', '--json'])).local_edits).toEqual([])
    expect(rigor(repo.dir, ['status']).stderr).toBe('')
  })

  it('a node or verdict file copied by hand to another node path is a problem of that path, whatever was read first', () => {
    repo = withCorruptVerdict()
    // byte for byte the files of r/a (one git blob each), committed under z/a, whose id they do not name
    for (const name of ['node.yaml', 'verdict.yaml']) {
      mkdirSync(join(repo.dir, 'experiments/z/a'), {recursive: true})
      writeFileSync(join(repo.dir, 'experiments/z/a', name), readFileSync(join(repo.dir, 'experiments/r/a', name)))
    }
    // and the verdict of r/a over the verdict of r/c (r/c's node file stays its own)
    writeFileSync(join(repo.dir, 'experiments/r/c/verdict.yaml'), readFileSync(join(repo.dir, 'experiments/r/a/verdict.yaml')))
    repo.git('add', '-A', 'experiments')
    repo.git('commit', '-qm', 'copies')
    const check = (dir: string) => {
      const summary = json(rigor(dir, ['status', '--json']))
      // r/a is itself; z/a's files and r/c's verdict name another node
      expect(summary.total).toBe(3)
      expect(summary.problems.map((p: any) => p.file).sort()).toEqual([
        'experiments/r/b/verdict.yaml',
        'experiments/r/c/verdict.yaml',
        'experiments/z/a/node.yaml',
        'experiments/z/a/verdict.yaml',
      ])
      expect(json(rigor(dir, ['show', 'r/a', '--json'])).verdict.node).toBe('r/a')
      const shown = rigor(dir, ['show', 'z/a'])
      expect(shown.code).toBe(2)
      expect(shown.stderr).toContain('says "r/a" but lives at the path of node "z/a"')
      // r/c's own node file is fine: it is shown, its verdict named as the problem
      const verdictElsewhere = json(rigor(dir, ['show', 'r/c', '--json']))
      expect(verdictElsewhere.verdict).toBeNull()
      expect(verdictElsewhere.problems[0].message).toContain('says "r/a" but lives at the path of node "r/c"')
      // metrics count the same files
      const problems = json(rigor(dir, ['metrics', '--json'])).families.find((f: any) => f.name === 'rigor_state_problems').samples
      expect(Object.fromEntries(problems.map((p: any) => [p.labels.file, p.value]))).toEqual({node: 1, verdict: 3})
      // each file named once in its warning
      const warned = unwrapped(rigor(dir, ['status']).stderr)
      expect(warned).toContain('experiments/z/a/node.yaml, field "id": says "r/a"')
      expect(warned).not.toContain('experiments/z/a/node.yaml: experiments/z/a/node.yaml')
    }
    // with the documents read before (the cache of this checkout), and in a fresh clone (nothing read yet)
    check(repo.dir)
    const clone = `${repo.dir}-clone`
    execFileSync('git', ['clone', '-q', repo.dir, clone])
    try {
      check(clone)
    } finally {
      rmSync(clone, {recursive: true, force: true})
    }
  })
})

describe('rigor show of a sweep group', () => {
  it('calls it a sweep group with its variants, never pending or waiting for a verdict', () => {
    repo = workspace()
    writeSpec(repo.dir, {sweeps: [{...nodeSpec('s/grid'), grid: {x: [1, 2, 3]}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const shown = rigor(repo.dir, ['show', 's/grid'])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout.split('\n')[0]).toBe('# s/grid  (sweep group of 3 variants)')
    expect(shown.stdout).not.toContain('(no verdict yet)')
    expect(shown.stdout).toContain('(a sweep group never runs: its variants do)')
    // a variant is a node like any other
    expect(rigor(repo.dir, ['show', 's/grid/x-1']).stdout.split('\n')[0]).toBe('# s/grid/x-1  (pending)')
  })
})
