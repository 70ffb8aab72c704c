import {existsSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {expectNothingLeftIn, pidsWithEnv, SLOW, waitFor} from '../helpers/processes.js'
import {hasTmux, isWrapper, rigorInTmux, type TmuxRigor} from '../helpers/tmux.js'
import {commitAuditReport} from './audit-commit.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditWorkspace, seedAndWork, strategyNode} from './audit-cheats-helpers.js'

let repo: TempRepo
let inTmux: TmuxRigor | undefined
afterEach(() => {
  inTmux?.kill()
  inTmux = undefined
  repo?.cleanup()
})

/**
 * A workspace with two long-only nodes, run and accepted; then `hold` is
 * written, so that every re-run the auditor starts blocks (a child process
 * too) until it is stopped. Both read `bench.csv`, declared by a third node, so
 * the truncation re-runs make their cuts of it under .git/rigor/audit.
 */
function blockingReruns(): void {
  repo = auditWorkspace(
    {
      'asset.csv': pricesCsv({rows: 400, seed: 7, drift: 0.001, vol: 0.01}),
      'bench.csv': pricesCsv({rows: 400, seed: 8, drift: 0.001, vol: 0.01}),
    },
    '{permutations: 4, seeds: [1]}',
  )
  const body = `if (existsSync(process.env.RIGOR_WORKSPACE + '/hold')) {
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
      setInterval(() => {}, 1000)
      return new Promise(() => {})
    }
    return close.map(() => 1)`
  const node = (id: string, sandbox: 'off' | 'auto') => {
    const spec = strategyNode(repo, id, 'asset.csv', body)
    return {...spec, run: {...spec.run, sandbox}}
  }
  const nodes = [strategyNode(repo, 'bench/hold', 'bench.csv', 'return close.map(() => 1)'), node('s/open', 'off'), node('s/boxed', 'auto')]
  // the runner script awaits nothing: make its body's promise block the script (top-level await in an ES module)
  for (const id of ['s-open', 's-boxed']) {
    const file = join(repo.dir, `${id}.mjs`)
    const text = readFileSync(file, 'utf8')
      .replace(
        "import {readFileSync, writeFileSync} from 'node:fs'",
        "import {existsSync, readFileSync, writeFileSync} from 'node:fs'\nimport {spawn} from 'node:child_process'",
      )
      .replace('const pos = (() => {', 'const pos = await (async () => {')
    writeFileSync(file, text)
  }
  seedAndWork(repo, {nodes})
  expect(json(rigor(repo.dir, ['status', '--json'])).by_status.proven_accepted).toBe(3)
  writeFileSync(join(repo.dir, 'hold'), '')
}

const reruns = () => pidsWithEnv(`RIGOR_WORKSPACE=${repo.dir}`)

/** After a stopped audit: no re-run left, nothing committed, no private directory left. */
async function expectNothingWritten(head: string): Promise<void> {
  await waitFor('no re-run process left', () => reruns().length === 0)
  await expectNothingLeftIn(repo.dir, isWrapper)
  expect(repo.git('rev-parse', 'HEAD').trim()).toBe(head)
  const scratch = join(repo.dir, '.git', 'rigor', 'audit')
  expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([])
}

describe('a stopped audit or paper run', {timeout: SLOW}, () => {
  it.skipIf(!hasTmux)('Ctrl-C under a terminal: exit 130, its re-runs and their children stopped, nothing written', async () => {
    blockingReruns()
    const head = repo.git('rev-parse', 'HEAD').trim()
    inTmux = rigorInTmux(repo.dir, ['audit', 's/open', '--auditor', 'risk'])
    // the re-runs and a child of each (no sandbox: each in a process group of its own, which the terminal's Ctrl-C misses)
    await waitFor('re-runs blocking', () => reruns().length >= 4)
    inTmux.keys('C-c')
    await waitFor('rigor audit to exit', () => existsSync(inTmux!.rcFile))
    expect(readFileSync(inTmux.rcFile, 'utf8').trim()).toBe('130')
    expect(inTmux.pane()).toContain('the audit of s/open was stopped by SIGINT: nothing was written')
    await expectNothingWritten(head)
  })

  it('SIGTERM (sandboxed re-runs, --json): exit 143 with the error in JSON, nothing written', async () => {
    blockingReruns()
    const head = repo.git('rev-parse', 'HEAD').trim()
    const audit = rigorAsync(repo.dir, ['audit', 's/boxed', '--auditor', 'risk', '--json'])
    await waitFor('re-runs blocking', () => reruns().length >= 2)
    audit.kill('SIGTERM')
    const done = await audit
    expect(done.code, done.stderr).toBe(143)
    expect(JSON.parse(done.stdout).error).toMatchObject({
      message: 'the audit of s/boxed was stopped by SIGTERM: nothing was written',
      exit: 143,
    })
    await expectNothingWritten(head)
    // and the audit runs to its end once nothing blocks
    rmSync(join(repo.dir, 'hold'))
    expect(rigor(repo.dir, ['audit', 's/boxed', '--auditor', 'risk', '--json']).code).toBe(0)
  })

  it('SIGINT on rigor paper (no sandbox, piped): exit 130, its runner and child stopped, nothing recorded', async () => {
    blockingReruns()
    rmSync(join(repo.dir, 'hold'))
    await commitAuditReport(repo.dir, {id: 's/open', verdict: 'PASS', auditor: 'dave'})
    expect(rigor(repo.dir, ['deploy', 's/open', '--stage', 'paper', '--by', 'ops']).code).toBe(0)
    // prices after the backtest's last day
    writeFileSync(
      join(repo.dir, 'new.csv'),
      pricesCsv({rows: 440, seed: 9}).split('\n').slice(401).join('\n').replace(/^/, 'date,open,high,low,close\n'),
    )
    writeFileSync(join(repo.dir, 'hold'), '')
    const head = repo.git('rev-parse', 'HEAD').trim()
    const paper = rigorAsync(repo.dir, ['paper', 's/open', '--data', 'new.csv'])
    await waitFor('the paper run blocking', () => reruns().length >= 2)
    paper.kill('SIGINT')
    const done = await paper
    expect(done.code, done.stderr).toBe(130)
    expect(done.stderr).toContain('the paper run of s/open was stopped by SIGINT: nothing was written')
    await waitFor('no runner process left', () => reruns().length === 0)
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(head)
    const scratch = join(repo.dir, '.git', 'rigor', 'paper')
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([])
  })
})
