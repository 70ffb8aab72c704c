import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, json, rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditWorkspace, check, seedAndWork} from './audit-cheats-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/**
 * Holds the asset every day and reports it honestly, except in the audit's re-runs with another seed, where its
 * returns.csv is a FIFO nobody writes (rigor reading it the way it reads a file would wait forever).
 */
const FIFO_ON_RERUN = `import {readFileSync, writeFileSync} from 'node:fs'
import {execFileSync} from 'node:child_process'
const rows = readFileSync(process.env.RIGOR_DATA, 'utf8').trim().split('\\n').slice(1).map((l) => l.split(','))
const out = process.env.RIGOR_OUT
const close = rows.map((r) => Number(r[4]))
writeFileSync(out + '/positions.csv', ['date,position', ...rows.map((r) => r[0] + ',1')].join('\\n') + '\\n')
if (process.env.RIGOR_SEED !== '0') execFileSync('mkfifo', [out + '/returns.csv'])
else writeFileSync(out + '/returns.csv', ['date,return', ...rows.slice(1).map((r, t) => r[0] + ',' + (close[t + 1] / close[t] - 1))].join('\\n') + '\\n')
writeFileSync(out + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, artifacts: ['returns.csv', 'positions.csv']}))
`

describe("what an audit's re-run leaves in RIGOR_OUT", () => {
  it('a returns.csv that is a FIFO fails that re-run with the reason; the audit finishes', () => {
    repo = auditWorkspace({'prices.csv': pricesCsv({rows: 300, seed: 3})}, '{permutations: 2, seeds: [1]}')
    writeFileSync(join(repo.dir, 'fifo.mjs'), FIFO_ON_RERUN)
    seedAndWork(repo, {nodes: [{id: 'rerun/fifo', team: 'default', data: 'prices.csv', run: {command: ['node', 'fifo.mjs']}}]})
    expect(json(rigor(repo.dir, ['show', 'rerun/fifo', '--json'])).status).toBe('proven_accepted')
    // killed if it hangs, as it did: the FIFO was opened to be read, waiting for a writer that had exited
    const audit = spawnSync(process.execPath, [BIN, 'audit', 'rerun/fifo', '--auditor', 'risk', '--json'], {
      cwd: repo.dir,
      env: {...process.env, ...GIT_ENV},
      encoding: 'utf8',
      timeout: 120_000,
      killSignal: 'SIGKILL',
    })
    expect(audit.signal, audit.stderr).toBeNull()
    expect(audit.status, audit.stderr).toBe(0)
    const seeds = check(JSON.parse(audit.stdout), 'robustness.seeds')
    expect(seeds.result).toBe('error')
    expect(seeds.reason).toContain('seed 1: returns.csv in RIGOR_OUT is not a regular file (a FIFO, socket or device)')
  })
})
