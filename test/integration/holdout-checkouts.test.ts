import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv, writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

// the sandbox shows the whole file system read-only: another checkout of the same repository (the main one seen from a
// linked worktree, or a linked worktree seen from the main one) holds the same data files, holdout rows and all. The
// repositories live in /var/tmp: the sandbox shows neither the host's /tmp nor its /dev/shm, where every checkout
// would be out of sight anyway
const VISIBLE_BASE = '/var/tmp'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ROWS = 100
/** day t of pricesCsv */
const iso = (t: number) => new Date(Date.UTC(2010, 0, 4) + t * 86_400_000).toISOString().slice(0, 10)

/** A runner that reports how many rows, and which last date, it sees in each file named on its command line. */
const peek = (files: string[]) => [
  process.execPath,
  '-e',
  [
    "const fs=require('fs');",
    "const seen=(f)=>{try{const l=fs.readFileSync(f,'utf8').trim().split('\\n').slice(1);return {rows:l.length,last:(l[l.length-1]||'').split(',')[0]}}catch(e){return 'unreadable'}};",
    "fs.writeFileSync(process.env.RIGOR_OUT+'/seen.json',JSON.stringify(process.argv.slice(1).map(seen)));",
    'fs.writeFileSync(process.env.RIGOR_OUT+\'/verdict.json\',\'{"metrics":{"sharpe":1}}\')',
  ].join(''),
  ...files,
]

/** A workspace with prices.csv and bench.csv committed, a holdout sealed from day 60, the runner sandboxed. */
function sealedWorkspace(): TempRepo {
  const made = workspace({base: VISIBLE_BASE})
  writeFileSync(join(made.dir, 'prices.csv'), pricesCsv({rows: ROWS, seed: 1}))
  writeFileSync(join(made.dir, 'bench.csv'), pricesCsv({rows: ROWS, seed: 2}))
  writeFileSync(
    join(made.dir, 'rigor.yaml'),
    stringify({
      version: 1,
      teams: [{name: 'default'}],
      gates: [{name: 'g', accept_when: 'true'}],
      holdout: {from: iso(60)},
      runner: {sandbox: 'on'},
    }),
  )
  made.git('add', '.')
  made.git('commit', '-qm', 'data, a sealed holdout')
  return made
}

/** Seeds the peek node (its data prices.csv, bench.csv declared by another node) from `dir`, runs it there, and says what it saw. */
function peekFrom(dir: string, files: string[]): unknown {
  writeSpec(dir, {
    nodes: [
      {id: 'seal/peek', team: 'default', run: {command: peek(files)}, data: 'prices.csv'},
      {id: 'seal/bench', team: 'default', run: {command: ['true']}, data: 'bench.csv', priority: -1},
    ],
  })
  const seed = rigor(dir, ['seed', 'spec.yaml'])
  expect(seed.code, seed.stderr).toBe(0)
  const work = rigor(dir, ['work', '--max-nodes', '1'])
  expect(work.code, work.stderr).toBe(0)
  const verdict = json<{verdict: {status: string; reason?: string}}>(rigor(dir, ['show', 'seal/peek', '--json'])).verdict
  expect(verdict.status, verdict.reason).toBe('proven_accepted')
  return JSON.parse(repo.git('show', 'main:experiments/seal/peek/out/seen.json'))
}

const CUT = {rows: 60, last: iso(59)}

describe("the sealed holdout in the repository's other checkouts", () => {
  it('a run in the main checkout sees only the research cut of every declared file in a linked worktree too', () => {
    repo = sealedWorkspace()
    const other = `${repo.dir}-linked`
    repo.git('worktree', 'add', '-q', '--detach', other, 'main')
    try {
      const seen = peekFrom(repo.dir, [join(other, 'prices.csv'), join(other, 'bench.csv'), join(repo.dir, 'bench.csv')])
      expect(seen).toEqual([CUT, CUT, CUT])
    } finally {
      repo.git('worktree', 'remove', '--force', other)
    }
  })

  it('a run in a linked worktree sees only the research cut in the main checkout', () => {
    repo = sealedWorkspace()
    const linked = `${repo.dir}-linked`
    // the state branch is checked out in the linked worktree; the main checkout stays on the same commit
    repo.git('switch', '-q', '-c', 'elsewhere')
    repo.git('worktree', 'add', '-q', linked, 'main')
    try {
      const seen = peekFrom(linked, [join(repo.dir, 'prices.csv'), join(repo.dir, 'bench.csv'), join(linked, 'bench.csv')])
      expect(seen).toEqual([CUT, CUT, CUT])
    } finally {
      repo.git('worktree', 'remove', '--force', linked)
    }
  })
})

describe('a checkout kept inside the git directory', () => {
  it("is out of the sandbox's sight already: the run starts and sees the cut as before", () => {
    repo = sealedWorkspace()
    const inner = join(repo.dir, '.git', 'inner-checkout')
    repo.git('worktree', 'add', '-q', '--detach', inner, 'main')
    try {
      expect(peekFrom(repo.dir, [join(repo.dir, 'bench.csv'), join(inner, 'prices.csv')])).toEqual([CUT, 'unreadable'])
    } finally {
      repo.git('worktree', 'remove', '--force', inner)
    }
  })
})

describe("an audit's re-runs", () => {
  it("keep their data and outputs out of every sandbox's sight, wherever TMPDIR is (an opening's re-run holds the whole file)", () => {
    repo = sealedWorkspace()
    const hostTmp = mkdtempSync(join(VISIBLE_BASE, 'rigor-test-tmpdir-'))
    try {
      // a long-only runner that fails when it can see anything in the audit's TMPDIR (which it could, outside /tmp)
      const runner = writeRunner(
        repo.dir,
        'looks',
        `if (process.getBuiltinModule('node:fs').readdirSync(${JSON.stringify(hostTmp)}).length > 0) process.exit(3); return close.map(() => 1)`,
      )
      repo.git('add', '.')
      repo.git('commit', '-qm', 'runner')
      writeSpec(repo.dir, {
        nodes: [{id: 'look/tmp', team: 'default', run: {command: ['node', runner]}, params: {cost_bps: 0}, data: 'prices.csv'}],
      })
      expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
      expect(rigor(repo.dir, ['work', '--worker', 'runner']).code).toBe(0)
      const audited = rigor(repo.dir, ['audit', 'look/tmp', '--auditor', 'alice', '--json'], {TMPDIR: hostTmp})
      expect(audited.code, audited.stdout).toBe(0)
      const audit = json<{checks: Array<{name: string; result: string}>; holdout: {passed: boolean}}>(audited)
      expect(JSON.stringify(audit)).not.toMatch(/code 3/)
      // the re-runs ran: the truncation check judged their positions
      expect(audit.checks.find((c) => c.name === 'lookahead.truncation')?.result).toBe('pass')
      expect(audit.checks.find((c) => c.name === 'holdout.score')?.result).not.toBe('error')
    } finally {
      rmSync(hostTmp, {recursive: true, force: true})
    }
  })
})
