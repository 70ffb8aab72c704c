import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv, writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ROWS = 100
/** day t of pricesCsv, as YYYY-MM-DD and as YYYYMMDD */
const iso = (t: number) => new Date(Date.UTC(2010, 0, 4) + t * 86_400_000).toISOString().slice(0, 10)
const compact = (t: number) => iso(t).replaceAll('-', '')

/** A runner that reports how many rows, and which last date, it sees through RIGOR_DATA and through bench.csv's path. */
const PEEK = [
  process.execPath,
  '-e',
  [
    "const fs=require('fs');",
    "const seen=(f)=>{try{const l=fs.readFileSync(f,'utf8').trim().split('\\n').slice(1);return {rows:l.length,last:(l[l.length-1]||'').split(',')[0]}}catch(e){return 'unreadable'}};",
    "fs.writeFileSync(process.env.RIGOR_OUT+'/seen.json',JSON.stringify({data:seen(process.env.RIGOR_DATA),bench:seen(process.env.RIGOR_WORKSPACE+'/bench.csv')}));",
    'fs.writeFileSync(process.env.RIGOR_OUT+\'/verdict.json\',\'{"metrics":{"sharpe":1}}\')',
  ].join(''),
]

/** A workspace with prices.csv and bench.csv (`files`), `holdout` in rigor.yaml, and the peek node run on prices.csv. */
function run(files: {prices: string; bench?: string}, holdout: unknown): {status: string; reason?: string} {
  repo = workspace()
  writeFileSync(join(repo.dir, 'prices.csv'), files.prices)
  writeFileSync(join(repo.dir, 'bench.csv'), files.bench ?? pricesCsv({rows: ROWS, seed: 2}))
  writeFileSync(
    join(repo.dir, 'rigor.yaml'),
    stringify({version: 1, teams: [{name: 'default'}], gates: [{name: 'g', accept_when: 'true'}], holdout}),
  )
  repo.git('add', '.')
  repo.git('commit', '-qm', 'data, a sealed holdout')
  writeSpec(repo.dir, {
    nodes: [
      {id: 'seal/peek', team: 'default', run: {command: PEEK}, data: 'prices.csv'},
      {id: 'seal/bench', team: 'default', run: {command: ['true']}, data: 'bench.csv', priority: -1},
    ],
  })
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  const work = rigor(repo.dir, ['work', '--max-nodes', '1'])
  expect(work.code, work.stderr).toBe(0)
  return json(rigor(repo.dir, ['show', 'seal/peek', '--json'])).verdict
}

const seen = () => JSON.parse(repo.git('show', 'main:experiments/seal/peek/out/seen.json'))

describe('the sealed holdout of files dated YYYYMMDD, out of order, or with cells that are no date', () => {
  it('YYYYMMDD dates are cut at holdout.from: the research run sees no row on or after it, in its data or a declared file', () => {
    const dated = pricesCsv({rows: ROWS, seed: 1, date: compact})
    const verdict = run({prices: dated, bench: pricesCsv({rows: ROWS, seed: 2, date: compact})}, {from: iso(60)})
    expect(verdict.status, verdict.reason).toBe('proven_accepted')
    expect(seen()).toEqual({data: {rows: 60, last: compact(59)}, bench: {rows: 60, last: compact(59)}})
  })

  it('a fraction cut never splits the rows of one date: the research run ends before the date the cut falls on', () => {
    // two rows a date (two symbols), 52 dates: 0.2 of 104 rows (21) cuts at row 83, the second row of date 41
    const lines = Array.from({length: 52}, (_, t) => [`${compact(t)},A,${100 + t}`, `${compact(t)},B,${200 + t}`]).flat()
    const verdict = run({prices: `date,symbol,close\n${lines.join('\n')}\n`}, {fraction: 0.2})
    expect(verdict.status, verdict.reason).toBe('proven_accepted')
    expect(seen().data).toEqual({rows: 82, last: compact(40)})
  })

  it('a file newest first cannot be cut: the run does not start, inconclusive, naming the file and the line', () => {
    const [header, ...rows] = pricesCsv({rows: ROWS, seed: 1}).trim().split('\n')
    const verdict = run({prices: `${[header, ...rows.reverse()].join('\n')}\n`}, {fraction: 0.2})
    expect(verdict.status).toBe('inconclusive')
    expect(verdict.reason).toContain('the holdout cannot be sealed in prices.csv')
    expect(verdict.reason).toContain(`line 3: ${iso(ROWS - 2)} comes before the previous row's date (${iso(ROWS - 1)})`)
    expect(existsSync(join(repo.dir, 'experiments/seal/peek/out/seen.json'))).toBe(false)
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'experiments/seal/peek')).not.toContain('seen.json')
  })

  it('a date cell that is no date cannot be cut: inconclusive, naming the file, the line and the field', () => {
    const lines = pricesCsv({rows: ROWS, seed: 1, date: compact}).trim().split('\n')
    lines[11] = lines[11]!.replace(compact(10), '20101340')
    const verdict = run({prices: `${lines.join('\n')}\n`}, {from: iso(60)})
    expect(verdict.status).toBe('inconclusive')
    expect(verdict.reason).toContain('the holdout cannot be sealed in prices.csv: field "date": line 12: "20101340" is not a date')
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'experiments/seal/peek')).not.toContain('seen.json')
  })

  it('a declared file that cannot be cut shows empty to a research run, never whole', () => {
    const [header, ...rows] = pricesCsv({rows: ROWS, seed: 2}).trim().split('\n')
    const verdict = run({prices: pricesCsv({rows: ROWS, seed: 1}), bench: `${[header, ...rows.reverse()].join('\n')}\n`}, {fraction: 0.2})
    expect(verdict.status, verdict.reason).toBe('proven_accepted')
    const {data, bench} = seen()
    expect(data).toEqual({rows: 80, last: iso(79)})
    // the empty file the sandbox binds there (/dev/null) reads as nothing, or not at all: never the holdout
    expect(bench === 'unreadable' || bench.rows === 0, JSON.stringify(bench)).toBe(true)
  })
})

describe('the audit of a node whose data file is newest first', () => {
  function accepted(): void {
    repo = workspace()
    const [header, ...rows] = pricesCsv({rows: 300, seed: 5, drift: 0.001}).trim().split('\n')
    writeFileSync(join(repo.dir, 'prices.csv'), `${[header, ...rows.reverse()].join('\n')}\n`)
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      stringify({version: 1, teams: [{name: 'default'}], gates: [{name: 'g', accept_when: 'true'}], audit: {permutations: 12}}),
    )
    const long = writeRunner(repo.dir, 'long', 'return close.map(() => 1)')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data newest first, a runner')
    writeSpec(repo.dir, {
      nodes: [{id: 'long/a', team: 'default', run: {command: ['node', long]}, params: {cost_bps: 0}, data: 'prices.csv'}],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work', '--max-nodes', '1']).code).toBe(0)
    expect(json(rigor(repo.dir, ['show', 'long/a', '--json'])).verdict.status).toBe('proven_accepted')
  }

  it('says what is wrong with the dates (file, line), not that the file has no close column', () => {
    accepted()
    const audit = json(rigor(repo.dir, ['audit', 'long/a', '--auditor', 'risk', '--json']))
    const accounting = audit.checks.find((c: {name: string}) => c.name === 'accounting.consistency')
    expect(accounting.result).toBe('error')
    expect(accounting.reason).not.toContain('no "close" column')
    expect(accounting.reason).toContain('prices.csv, field "date": line 3:')
    expect(accounting.reason).toContain('ascending date order')
  })

  it('under a holdout configured since, the audit stops with exit 2 naming the file and the line: nothing is written', () => {
    accepted()
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${config}holdout: {fraction: 0.2}\n`)
    repo.git('commit', '-qam', 'seal a holdout')
    const head = repo.git('rev-parse', 'main')
    const audit = rigor(repo.dir, ['audit', 'long/a', '--auditor', 'risk'])
    expect(audit.code).toBe(2)
    expect(audit.stderr).toContain('the holdout cannot be sealed in prices.csv: field "date": line 3:')
    expect(audit.stderr).toContain('sort the rows oldest first')
    expect(repo.git('rev-parse', 'main')).toBe(head)
  })
})
