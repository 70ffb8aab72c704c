import {appendFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ID = 'mom/base'
const SYNTH_A = join(dirname(fileURLToPath(import.meta.url)), '../../data/SYNTH-A.csv')
/** the backtest sees the first rows; the rest arrive later, as new prices for paper trading */
const HISTORY_ROWS = 2000
const lines = (): string[] => readFileSync(SYNTH_A, 'utf8').trimEnd().split('\n')
/** SYNTH-A's rows dated YYYYMMDD (20150102), a spelling price files may use (README, "The strategy kit") */
const compactLines = (): string[] => lines().map((line) => line.replace(/^(\d{4})-(\d{2})-(\d{2})/, '$1$2$3'))

/** A workspace whose node mom/base (momentum on the first rows of SYNTH-A) ran, passed its audit and is deployed to paper. */
async function paperDeployedNode(history: () => string[] = lines): Promise<TempRepo> {
  const r = workspace()
  writeFileSync(
    join(r.dir, 'rigor.yaml'),
    stringify({version: 1, teams: [{name: 'default'}], gates: [{name: 'always', accept_when: 'true'}]}),
  )
  mkdirSync(join(r.dir, 'data'))
  writeFileSync(
    join(r.dir, 'data/prices.csv'),
    `${history()
      .slice(0, HISTORY_ROWS + 1)
      .join('\n')}\n`,
  )
  r.git('add', 'rigor.yaml', 'data/prices.csv')
  r.git('commit', '-qm', 'config and prices')
  writeSpec(r.dir, {
    nodes: [{id: ID, team: 'default', run: {command: ['rigor', 'backtest', '--strategy', 'momentum']}, data: 'data/prices.csv'}],
  })
  expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
  expect(rigor(r.dir, ['work']).code).toBe(0)
  await commitAuditReport(r.dir, {
    id: ID,
    verdict: 'PASS',
    auditor: 'dave',
    at: new Date(),
    checks: [{name: 'lookahead.truncation', result: 'pass', figures: {}}],
    issues: [],
  })
  expect(rigor(r.dir, ['deploy', ID, '--stage', 'paper']).code).toBe(0)
  return r
}

describe('rigor paper: a bad new price row', () => {
  it("is refused naming the user's file and its line, never rigor's temporary copy (exit 2)", async () => {
    repo = await paperDeployedNode()
    const [next, after] = lines().slice(HISTORY_ROWS + 1, HISTORY_ROWS + 3)
    const bad = after!.split(',')
    bad[4] = 'abc'

    // new rows appended to the committed data file
    appendFileSync(join(repo.dir, 'data/prices.csv'), `${next}\n${bad.join(',')}\n`)
    repo.git('commit', '-qam', 'new prices')
    let result = rigor(repo.dir, ['paper', ID, '--json'])
    let error = json(result).error as {message: string; fix: string}
    expect(error.message).toBe(`data/prices.csv, field "close": line ${HISTORY_ROWS + 3}: "abc" is not a finite number`)
    expect(error.message).not.toContain('.git')
    expect(result.code).toBe(2)

    // the same rows in a --data file: its own name and line
    writeFileSync(join(repo.dir, 'new.csv'), `${lines()[0]}\n${next}\n${bad.join(',')}\n`)
    result = rigor(repo.dir, ['paper', ID, '--data', 'new.csv', '--json'])
    error = json(result).error as {message: string; fix: string}
    expect(error.message).toBe('new.csv, field "close": line 3: "abc" is not a finite number')
    expect(result.code).toBe(2)
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', '--', 'deployments/paper')).not.toContain('results')
  })
})

describe('rigor paper: a history dated YYYYMMDD', () => {
  it('trades on paper as one dated YYYY-MM-DD does', async () => {
    repo = await paperDeployedNode(compactLines)
    const arrived = compactLines().slice(HISTORY_ROWS + 1, HISTORY_ROWS + 6)
    appendFileSync(join(repo.dir, 'data/prices.csv'), `${arrived.join('\n')}\n`)
    repo.git('commit', '-qam', 'new prices')
    const result = rigor(repo.dir, ['paper', ID, '--json'])
    expect(result.code).toBe(0)
    const paper = json(result)
    expect(paper.periods).toBe(5)
    expect(paper.from).toBe(arrived[0]!.split(',')[0])
    expect(paper.to).toBe(arrived[4]!.split(',')[0])
  })
})

describe('rigor paper --data: a header in another case or spacing', () => {
  it('names the same columns, as price files read them', async () => {
    repo = await paperDeployedNode()
    const arrived = lines().slice(HISTORY_ROWS + 1, HISTORY_ROWS + 4)
    writeFileSync(join(repo.dir, 'new.csv'), `Date,Open,High,Low,Close,Volume\n${arrived.join('\n')}\n`)
    const result = rigor(repo.dir, ['paper', ID, '--data', 'new.csv', '--json'])
    expect(result.code).toBe(0)
    expect(json(result).periods).toBe(3)
  })
})

describe('rigor paper: a new row dated in the future', () => {
  it('is refused, naming the file, its line and the date (exit 2), and nothing is recorded', async () => {
    repo = await paperDeployedNode()
    const arrived = lines().slice(HISTORY_ROWS + 1, HISTORY_ROWS + 3)
    const next = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10)
    const invented = [next, ...arrived[1]!.split(',').slice(1)].join(',')
    writeFileSync(join(repo.dir, 'new.csv'), `${lines()[0]}\n${arrived.join('\n')}\n${invented}\n`)
    const result = rigor(repo.dir, ['paper', ID, '--data', 'new.csv', '--json'])
    expect(result.code).toBe(2)
    expect(json(result).error.message).toMatch(new RegExp(`^new\\.csv, field "date": line 4: ${next} is after today`))
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', '--', 'deployments/paper')).not.toContain('results')
  })
})

describe('rigor paper --data: a file separated by ";" or in UTF-16', () => {
  it('is refused saying so, as every price file is (exit 2)', async () => {
    repo = await paperDeployedNode()
    const rows = [lines()[0]!, ...lines().slice(HISTORY_ROWS + 1, HISTORY_ROWS + 3)]
    writeFileSync(join(repo.dir, 'semi.csv'), `${rows.map((row) => row.replaceAll(',', ';')).join('\n')}\n`)
    let result = rigor(repo.dir, ['paper', ID, '--data', 'semi.csv', '--json'])
    expect(result.code).toBe(2)
    expect(json(result).error.message).toBe('semi.csv: has its columns separated by ";", not commas')
    writeFileSync(join(repo.dir, 'u16.csv'), Buffer.from(`\ufeff${rows.join('\n')}\n`, 'utf16le'))
    result = rigor(repo.dir, ['paper', ID, '--data', 'u16.csv', '--json'])
    expect(result.code).toBe(2)
    expect(json(result).error.message).toMatch(/^u16\.csv: holds NUL bytes: it is UTF-16 text/)
  })
})

describe('rigor deploy --rollback with nothing active', () => {
  it('says whether the stage was never deployed (exit 1) or is rolled back already (nothing to do, exit 3), with a fix that fits', async () => {
    repo = await paperDeployedNode()
    let result = rigor(repo.dir, ['deploy', ID, '--rollback', '--stage', 'live', '--json'])
    expect(result.code).toBe(1)
    let error = json(result).error as {message: string; fix: string}
    expect(error.message).toBe(`${ID} has no active live deployment to roll back (it was never deployed to live)`)
    expect(error.fix).toContain(`rigor deploy ${ID} --stage live`)

    expect(rigor(repo.dir, ['deploy', ID, '--rollback']).code).toBe(0)
    result = rigor(repo.dir, ['deploy', ID, '--rollback', '--json'])
    expect(result.code).toBe(3)
    error = json(result).error
    expect(error.message).toMatch(
      new RegExp(
        `^${ID} has no active paper or live deployment to roll back \\(deployments/paper/${ID}\\.yaml is rolled_back since \\d{4}-`,
      ),
    )
    expect(error.fix).toMatch(/^nothing to roll back/)
  })
})
