import {appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {withChecksum} from '../../src/core/state/checksum.js'
import {results} from './audit-cheats-helpers.js'
import {commitAuditReport} from './audit-commit.js'
import {pricesCsv, writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
/** where the deploy commands leave their marks, outside the workspace */
let marks: string
afterEach(() => {
  repo?.cleanup()
  rmSync(marks, {recursive: true, force: true})
})

const ID = 'mom/base'
const SYNTH_A = join(dirname(fileURLToPath(import.meta.url)), '../../data/SYNTH-A.csv')
const DAY = 24 * 60 * 60 * 1000
/** the backtest sees the first rows; the rest arrive later, as new prices for paper trading */
const HISTORY_ROWS = 2000

/** A deploy command that records what it was given: the side effect the test checks. */
const recorder = (marker: string) => [
  process.execPath,
  '-e',
  "const fs=require('fs');fs.writeFileSync(process.argv[1],JSON.stringify({node:process.env.RIGOR_NODE_ID,stage:process.env.RIGOR_STAGE,workspace:process.env.RIGOR_WORKSPACE,files:fs.readdirSync(process.env.RIGOR_ARTIFACTS_DIR).sort()}));console.log('shipped')",
  marker,
]

function writeConfig(dir: string, deploy: unknown): void {
  const config = {version: 1, teams: [{name: 'default'}], gates: [{name: 'always', accept_when: 'true'}], deploy}
  writeFileSync(join(dir, 'rigor.yaml'), stringify(config))
}

/** A workspace whose node mom/base (momentum on the first rows of SYNTH-A) has run and been accepted. */
function ranNode(deploy: unknown = {}, params?: Record<string, unknown>): TempRepo {
  const r = workspace()
  writeConfig(r.dir, deploy)
  const lines = readFileSync(SYNTH_A, 'utf8').trimEnd().split('\n')
  mkdirSync(join(r.dir, 'data'))
  writeFileSync(join(r.dir, 'data/prices.csv'), `${lines.slice(0, HISTORY_ROWS + 1).join('\n')}\n`)
  r.git('add', 'rigor.yaml', 'data/prices.csv')
  r.git('commit', '-qm', 'config and prices')
  writeSpec(r.dir, {
    nodes: [
      {
        id: ID,
        team: 'default',
        run: {command: ['rigor', 'backtest', '--strategy', 'momentum']},
        data: 'data/prices.csv',
        ...(params ? {params} : {}),
      },
    ],
  })
  expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
  expect(rigor(r.dir, ['work']).code).toBe(0)
  expect(json(rigor(r.dir, ['show', ID, '--json'])).status).toBe('proven_accepted')
  return r
}

/** The prices that arrive after the backtest: the rest of SYNTH-A. */
const newPrices = (): string[] =>
  readFileSync(SYNTH_A, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(HISTORY_ROWS + 1)

/** Commits an audit report the way the auditor does: covers = the verdict's artifacts at the current tip. */
async function commitAudit(dir: string, a: {verdict: 'PASS' | 'FAIL'; auditor: string; at: Date}): Promise<string> {
  return commitAuditReport(dir, {
    id: ID,
    ...a,
    checks: [{name: 'lookahead.truncation', result: a.verdict === 'PASS' ? 'pass' : 'fail', figures: {}}],
    issues:
      a.verdict === 'PASS'
        ? []
        : [
            {
              id: 'I1',
              severity: 'critical',
              category: 'lookahead',
              description: 'positions read the next day',
              location: 'positions.csv',
              remediation: 'lag the signal',
            },
          ],
  })
}

const committed = (r: TempRepo, path: string): boolean => r.git('ls-tree', '-r', '--name-only', 'main', '--', path) !== ''
const refusal = (r: TempRepo, args: string[]) => {
  const result = rigor(r.dir, [...args, '--json'])
  expect(result.code).toBe(1)
  return json(result).error as {message: string; fix: string}
}

describe('rigor deploy: the gate', () => {
  it('refuses without an audit, with a stale or FAIL audit, after an artifact changed, and for a corrupt node', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    repo = ranNode({paper: {command: recorder(join(marks, 'paper.json'))}})
    let error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toContain('audit.exists')
    expect(error.fix).toContain(`rigor audit ${ID}`)

    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'bob', at: new Date(Date.now() - 40 * DAY)})
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toMatch(/audit\.fresh: audits\/mom\/base\/\S+-bob\.md is 40 day\(s\) old/)

    // a later FAIL is not outvoted by the earlier PASS
    await commitAudit(repo.dir, {verdict: 'FAIL', auditor: 'carol', at: new Date(Date.now() - 2 * 3600_000)})
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toContain('audit.pass')
    expect(error.message).toContain('carol.md is FAIL (lookahead: positions read the next day)')

    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date(Date.now() - 3600_000)})
    const returns = join(repo.dir, `experiments/${ID}/out/returns.csv`)
    const original = readFileSync(returns, 'utf8')
    writeFileSync(returns, original.replace(/\n([^,\n]+),[^\n]+\n/, '\n$1,0.5\n'))
    // an uncommitted edit: the command would read a file nobody audited
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toContain('artifacts.working_tree')
    expect(error.message).toContain(`experiments/${ID}/out/returns.csv changed`)
    // the same edit committed: the PASS no longer covers the current artifacts
    repo.git('commit', '-qam', 'tweak returns')
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toContain('artifacts.intact')
    expect(error.message).toContain('audit.covers_artifacts: no audit covers the current artifacts')
    expect(error.message).toContain('out/returns.csv changed')
    expect(committed(repo, 'deployments/paper')).toBe(false)

    writeFileSync(returns, original)
    repo.git('commit', '-qam', 'restore returns')
    // a plain commit (a stale index, a tidy-up) that removes the newest FAIL: the older PASS must not decide
    const fail = await commitAudit(repo.dir, {verdict: 'FAIL', auditor: 'erin', at: new Date(Date.now() - 1800_000)})
    const failed = repo.git('rev-parse', 'main').trim()
    repo.git('rm', '-q', fail)
    repo.git('commit', '-qm', 'tidy audits')
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toMatch(new RegExp(`state\\.unchanged_by_hand: .*${fail} \\(removed in `))
    expect(error.fix).toContain(`git checkout ${failed.slice(0, 10)} -- ${fail}`)
    // rigor's version put back: the FAIL decides again
    repo.git('checkout', failed, '--', fail)
    repo.git('commit', '-qm', 'put the FAIL back')
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).not.toContain('state.unchanged_by_hand')
    expect(error.message).toContain('erin.md is FAIL')
    const nodeFile = join(repo.dir, `experiments/${ID}/node.yaml`)
    writeFileSync(nodeFile, readFileSync(nodeFile, 'utf8').replace('priority: 0', 'priority: 9'))
    repo.git('commit', '-qam', 'hand edit')
    error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toContain(`experiments/${ID}/node.yaml: checksum mismatch`)
  })

  it('refuses a PASS dated in the future: it would stay fresh for ever and outrank the FAIL made before its date', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    repo = ranNode({paper: {command: recorder(join(marks, 'paper.json'))}})
    await commitAudit(repo.dir, {verdict: 'FAIL', auditor: 'carol', at: new Date(Date.now() - 3600_000)})
    const forged = await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'mallory', at: new Date(Date.now() + 365 * DAY)})
    const error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toMatch(/audit\.fresh: audits\/mom\/base\/\S+-mallory\.md is dated \S+, in the future/)
    expect(error.fix).toContain('check the clocks')
    expect(committed(repo, 'deployments/paper')).toBe(false)
    // a clock a minute ahead of the gate's is the ordinary skew of two machines, not a forgery
    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date(Date.now() + 60_000), file: `audits/${ID}/skew-dave.md`})
    repo.git('rm', '-q', forged)
    repo.git('commit', '-qm', 'drop the forged audit', '--trailer', 'Rigor-Action: audit')
    const deployed = rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--json'])
    expect(deployed.stderr).toBe('')
    expect(deployed.code).toBe(0)
  })
})

describe('rigor deploy and rigor paper', () => {
  it('takes copies git converted on checkout (core.autocrlf) for the audited files, and hands the command the audited bytes', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    const seen = join(marks, 'returns.csv')
    const copier = [
      process.execPath,
      '-e',
      "require('fs').copyFileSync(process.env.RIGOR_ARTIFACTS_DIR+'/returns.csv',process.argv[1])",
      seen,
    ]
    repo = ranNode({paper: {command: copier}})
    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date(Date.now() - 3600_000)})
    // what a checkout with core.autocrlf holds: CRLF where the blob has LF, and git's diff finds no change
    repo.git('config', 'core.autocrlf', 'true')
    const returns = join(repo.dir, `experiments/${ID}/out/returns.csv`)
    const audited = readFileSync(returns, 'utf8')
    writeFileSync(returns, audited.replace(/\n/g, '\r\n'))
    expect(repo.git('diff', '--name-only', '--', returns)).toBe('')
    const deployed = rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--json'])
    expect(deployed.code, deployed.stdout).toBe(0)
    expect(readFileSync(seen, 'utf8')).toBe(audited)
    // an edit is still an edit
    writeFileSync(returns, audited.replace(/\n([^,\n]+),[^\n]+\n/, '\n$1,0.5\n').replace(/\n/g, '\r\n'))
    expect(refusal(repo, ['deploy', ID, '--stage', 'paper']).message).toContain('artifacts.working_tree')
  })

  it('deploys to paper running the command, trades on paper, then goes live after enough periods, and rolls back', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    const failing = [process.execPath, '-e', "console.error('broker down'); process.exit(3)"]
    repo = ranNode({paper: {command: failing}})
    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date()})

    // a failing command is a refusal: nothing is recorded
    let error = refusal(repo, ['deploy', ID, '--stage', 'paper'])
    expect(error.message).toContain('exited with code 3')
    expect(error.message).toContain('broker down')
    expect(committed(repo, 'deployments/paper')).toBe(false)
    expect(refusal(repo, ['paper', ID]).message).toContain('no active paper deployment')

    const paperMarker = join(marks, 'paper.json')
    const liveMarker = join(marks, 'live.json')
    const rollbackMarker = join(marks, 'rollback.json')
    const rollbackRecorder = [
      process.execPath,
      '-e',
      "require('fs').writeFileSync(process.argv[1],JSON.stringify({stage:process.env.RIGOR_STAGE,deployment:process.env.RIGOR_DEPLOYMENT}))",
      rollbackMarker,
    ]
    const liveConfig = {command: recorder(liveMarker), rollback_command: rollbackRecorder, min_paper_periods: 20}
    writeConfig(repo.dir, {paper: {command: recorder(paperMarker)}, live: liveConfig})
    repo.git('commit', '-qam', 'deploy commands')
    const paper = json(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'alice', '--json']))
    expect(paper.file).toBe(`deployments/paper/${ID}.yaml`)
    expect(paper.command.exit_code).toBe(0)
    expect(JSON.parse(readFileSync(paperMarker, 'utf8'))).toEqual({
      node: ID,
      stage: 'paper',
      workspace: repo.dir,
      files: ['positions.csv', 'returns.csv', 'run.log', 'verdict.json'],
    })
    const record = readFileSync(join(repo.dir, paper.file), 'utf8')
    expect(record).toContain('status: active')
    expect(record).toContain('by: alice')
    expect(record).toMatch(/audit:\n {2}file: audits\/mom\/base\/\S+-dave\.md\n {2}checksum: sha256:/)
    expect(repo.git('log', '-1', '--format=%B', 'main')).toContain('Rigor-Action: deploy')

    error = refusal(repo, ['deploy', ID, '--stage', 'live'])
    expect(error.message).toContain(`paper.results: ${ID} has no paper results`)
    expect(error.fix).toContain(`rigor paper ${ID}`)
    // no price arrived yet: nothing to do (exit 3), not a failure, so a daily job started early does not go red
    const early = rigor(repo.dir, ['paper', ID, '--json'])
    expect(early.code).toBe(3)
    expect(json(early).error.reason).toBe('nothing_new')
    expect(json(early).error.message).toMatch(
      /no prices after mom\/base's backtest window \(it ends \d{4}-\d\d-\d\d\) in data\/prices\.csv/,
    )

    // first from a separate file of new rows only, walking forward 10 periods
    const header = readFileSync(SYNTH_A, 'utf8').split('\n')[0]
    // a date given twice is refused, naming the file and the date, before the runner starts
    const dup = newPrices()[3]!
    writeFileSync(join(repo.dir, 'new-prices.csv'), `${header}\n${[...newPrices(), dup].join('\n')}\n`)
    const twice = rigor(repo.dir, ['paper', ID, '--data', 'new-prices.csv', '--json'])
    expect(twice.code).toBe(2)
    expect(json(twice).error.message).toBe(
      `new-prices.csv, field "date": has more than one row dated ${dup.split(',')[0]} after ${ID}'s backtest window (it ends 2022-09-01)`,
    )
    writeFileSync(join(repo.dir, 'new-prices.csv'), `${header}\n${newPrices().join('\n')}\n`)
    const short = json(rigor(repo.dir, ['paper', ID, '--periods', '10', '--data', 'new-prices.csv', '--json']))
    expect(short.periods).toBe(10)
    expect(short.data).toBe('new-prices.csv')
    const lastBacktestDate = readFileSync(join(repo.dir, `experiments/${ID}/out/returns.csv`), 'utf8')
      .trimEnd()
      .split('\n')
      .pop()!
      .split(',')[0]
    expect(short.backtest_end).toBe(lastBacktestDate)
    expect(short.from > lastBacktestDate).toBe(true)
    error = refusal(repo, ['deploy', ID, '--stage', 'live'])
    expect(error.message).toContain('paper.periods: 10 paper period(s)')
    expect(error.message).toContain('at least 20')

    // then the way prices usually arrive: appended to the node's own data file
    appendFileSync(join(repo.dir, 'data/prices.csv'), `${newPrices().join('\n')}\n`)
    repo.git('commit', '-qam', 'new prices')
    const newRows = newPrices().length
    const full = json(rigor(repo.dir, ['paper', ID, '--json']))
    expect(full.data).toBe('data/prices.csv')
    expect(full.periods).toBe(newRows)
    const results = readFileSync(join(repo.dir, `deployments/paper/${ID}.results.yaml`), 'utf8')
    for (const field of ['periods:', 'sharpe:', 'total_return:', 'max_drawdown:', 'backtest_end:', 'checksum: sha256:'])
      expect(results).toContain(field)
    expect(
      readFileSync(join(repo.dir, `deployments/paper/${ID}.returns.csv`), 'utf8')
        .trimEnd()
        .split('\n'),
    ).toHaveLength(newRows + 1)
    expect(repo.git('log', '-1', '--format=%B', 'main')).toContain('Rigor-Action: paper')
    // run again before another price arrives: the record already holds these periods, nothing to commit (exit 3)
    const tip = repo.git('rev-parse', 'main')
    const again = rigor(repo.dir, ['paper', ID, '--json'])
    expect(again.code, again.stdout).toBe(3)
    expect(json(again).error.message).toContain(`already holds these ${newRows} period(s)`)
    expect(repo.git('rev-parse', 'main')).toBe(tip)

    // live money needs a paper Sharpe of at least 0.5 unless rigor.yaml says otherwise, visibly
    if (full.sharpe < 0.5) {
      expect(refusal(repo, ['deploy', ID, '--stage', 'live']).message).toContain('paper.sharpe')
      writeConfig(repo.dir, {paper: {command: recorder(paperMarker)}, live: {...liveConfig, min_paper_sharpe: Math.floor(full.sharpe) - 1}})
      repo.git('commit', '-qam', 'accept a weaker paper record')
    }
    const live = json(rigor(repo.dir, ['deploy', ID, '--stage', 'live', '--by', 'alice', '--json']))
    expect(live.file).toBe(`deployments/live/${ID}.yaml`)
    expect(JSON.parse(readFileSync(liveMarker, 'utf8')).stage).toBe('live')
    expect(readFileSync(join(repo.dir, live.file), 'utf8')).toContain(`periods: ${newRows}`)

    const rolled = json(rigor(repo.dir, ['deploy', ID, '--rollback', '--by', 'bob', '--reason', 'slippage', '--json']))
    expect(rolled.stage).toBe('live')
    expect(JSON.parse(readFileSync(rollbackMarker, 'utf8'))).toEqual({stage: 'live', deployment: `deployments/live/${ID}.yaml`})
    const liveRecord = readFileSync(join(repo.dir, live.file), 'utf8')
    expect(liveRecord).toContain('status: rolled_back')
    expect(liveRecord).toContain('rolled_back_by: bob')
    expect(liveRecord).toContain('rollback_reason: slippage')
    expect(repo.git('log', '-1', '--format=%B', 'main')).toContain('Rigor-Action: rollback')
    const rolledTwice = rigor(repo.dir, ['deploy', ID, '--rollback', '--stage', 'live', '--json'])
    expect(rolledTwice.code).toBe(3)
    expect(json(rolledTwice).error.message).toContain('no active live deployment')

    // a new paper deployment keeps the old one as history, and needs paper results of its own before live
    json(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'carol', '--json']))
    expect(readFileSync(join(repo.dir, paper.file), 'utf8')).toMatch(/previous:\n {2}- node: mom\/base/)
    expect(refusal(repo, ['deploy', ID, '--stage', 'live']).message).toContain('made under an earlier paper deployment')
    // paper results written by hand for the new paper deployment (a valid checksum) do not take it live
    const resultsFile = join(repo.dir, `deployments/paper/${ID}.results.yaml`)
    const {checksum: _old, ...made} = parse(readFileSync(resultsFile, 'utf8'))
    const redeployed = parse(readFileSync(join(repo.dir, paper.file), 'utf8'))
    const forged = {...made, deployment: {deployed_at: redeployed.deployed_at, checksum: redeployed.checksum}, periods: 500, sharpe: 3}
    writeFileSync(resultsFile, stringify(withChecksum(forged)))
    repo.git('commit', '-qam', 'paper results')
    expect(rigor(repo.dir, ['verify', '--json']).code).toBe(1)
    error = refusal(repo, ['deploy', ID, '--stage', 'live'])
    expect(error.message).toMatch(/state\.unchanged_by_hand: .*mom\/base\.results\.yaml \(changed in /)
    repo.git('checkout', 'HEAD^', '--', `deployments/paper/${ID}.results.yaml`)
    repo.git('commit', '-qm', 'put the paper results back')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    expect(repo.git('status', '--porcelain', '--', 'deployments', 'audits', 'experiments')).toBe('')
  })
})

describe('audit and paper on a data file changed since the run', () => {
  it('take new rows appended, and refuse a price changed in the history the run read rather than call it a look-ahead', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    repo = ranNode({paper: {command: recorder(join(marks, 'paper.json'))}})
    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date()})
    expect(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--json']).code).toBe(0)
    const prices = join(repo.dir, 'data/prices.csv')
    appendFileSync(prices, `${newPrices().slice(0, 30).join('\n')}\n`)
    repo.git('commit', '-qam', 'new prices')
    // appended rows change nothing the run read: audited as before (the kit's momentum holds up on SYNTH-A's history)
    const audited = rigor(repo.dir, ['audit', ID, '--auditor', 'erin', '--json'])
    expect(audited.code, audited.stdout).toBe(0)
    expect(results(json(audited))).toMatchObject({'accounting.consistency': 'pass', 'lookahead.truncation': 'pass'})
    expect(json(rigor(repo.dir, ['paper', ID, '--json'])).periods).toBe(30)
    expect(json(rigor(repo.dir, ['verify', '--json'])).stale).toEqual([])

    // one close of the history corrected by hand: judged on it, the run's positions would look as if they read the future
    const lines = readFileSync(prices, 'utf8').split('\n')
    const cells = lines[1000]!.split(',')
    cells[4] = (Number(cells[4]) * 3).toFixed(4)
    lines[1000] = cells.join(',')
    writeFileSync(prices, lines.join('\n'))
    repo.git('commit', '-qam', 'correct a price')
    const head = repo.git('rev-parse', 'main').trim()
    const refused = rigor(repo.dir, ['audit', ID, '--auditor', 'frank', '--json'])
    expect(refused.code).toBe(1)
    expect(json(refused).error.message).toMatch(
      new RegExp(
        `^refused: data/prices\\.csv changed since ${ID} ran \\(line 1001 was "[^"]+", is now "${lines[1000]}"\\); an audit would judge its run against data it did not read$`,
      ),
    )
    expect(json(refused).error.fix).toContain(`rigor rerun ${ID}`)
    expect(refusal(repo, ['paper', ID]).message).toMatch(/^data\/prices\.csv changed since mom\/base ran \(line 1001 /)
    expect(repo.git('rev-parse', 'main').trim()).toBe(head)
    // rigor verify names the node and why, before anyone asks for an audit
    const verified = json(rigor(repo.dir, ['verify', '--json']))
    expect(verified.stale).toEqual([{id: ID, why: expect.stringMatching(/^data data\/prices\.csv changed since it ran \(line 1001 was /)}])
    expect(verified.stale[0].why).toMatch(/rigor audit and rigor paper refuse it$/)
    expect(rigor(repo.dir, ['verify']).stdout).toContain(`STALE ${ID}: data data/prices.csv changed since it ran`)
  })
})

describe('rigor paper annualises at no more periods a year than rigor.yaml', () => {
  it("does not let the node's params.periods_per_year, which its designer sets, scale the paper Sharpe ratio up", async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    repo = ranNode({paper: {command: recorder(join(marks, 'paper.json'))}}, {periods_per_year: 25200})
    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date()})
    expect(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--json']).code).toBe(0)
    appendFileSync(join(repo.dir, 'data/prices.csv'), `${newPrices().join('\n')}\n`)
    repo.git('commit', '-qam', 'new prices')
    const paper = json(rigor(repo.dir, ['paper', ID, '--json']))
    const results = parse(readFileSync(join(repo.dir, `deployments/paper/${ID}.results.yaml`), 'utf8'))
    // daily data annualised at audit.periods_per_year (252), the rate min_paper_sharpe is written in, not at 25,200
    expect(results.periods_per_year).toBe(252)
    const returns = readFileSync(join(repo.dir, `deployments/paper/${ID}.returns.csv`), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[1]))
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length
    const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (returns.length - 1))
    expect(paper.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252), 9)
  })
})

describe('rigor paper holds the paper returns to the audited accounting', () => {
  it('refuses returns a runner that knows it trades on paper made up, gave twice or earned by reading the next day, and records an honest one', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    repo = workspace()
    writeConfig(repo.dir, {paper: {command: recorder(join(marks, 'paper.json'))}})
    const prices = pricesCsv({rows: 460, seed: 21, drift: 0.001, vol: 0.01}).trimEnd().split('\n')
    writeFileSync(join(repo.dir, 'prices.csv'), `${prices.slice(0, 401).join('\n')}\n`)
    repo.git('add', 'rigor.yaml', 'prices.csv')
    repo.git('commit', '-qm', 'config and prices')
    // honest wherever it is audited; on paper (RIGOR_STAGE=paper) as its `report` says
    const reports = {
      'paper/inflated': "process.env.RIGOR_STAGE === 'paper' ? net.map((r) => r + 0.002) : net",
      'paper/doubled': 'net',
      'paper/peeks': 'net',
      'paper/honest': 'net',
    }
    // on paper, long or short by the next day's close: its returns follow from its positions
    const peek =
      "close.map((c, t) => (process.env.RIGOR_STAGE === 'paper' && t >= 400 && t + 1 < close.length ? (close[t + 1] > c ? 1 : -1) : 1))"
    const nodes = Object.entries(reports).map(([id, report]) => ({
      id,
      team: 'default',
      run: {
        command: [
          'node',
          writeRunner(repo.dir, id.replace('/', '-'), `return ${id === 'paper/peeks' ? peek : 'close.map(() => 1)'}`, report),
        ],
      },
      data: 'prices.csv',
    }))
    // the doubled runner gives every paper date twice
    const doubled = join(repo.dir, 'paper-doubled.mjs')
    writeFileSync(
      doubled,
      readFileSync(doubled, 'utf8').replace(
        "dates.slice(start).map((d, i) => d + ',' + reported[start + i])",
        "dates.slice(start).flatMap((d, i) => (process.env.RIGOR_STAGE === 'paper' && start + i >= 401 ? [0, 1] : [0]).map(() => d + ',' + reported[start + i]))",
      ),
    )
    writeSpec(repo.dir, {nodes})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    for (const {id} of nodes) {
      await commitAuditReport(repo.dir, {id, verdict: 'PASS', auditor: 'dave', checks: []})
      expect(rigor(repo.dir, ['deploy', id, '--stage', 'paper', '--json']).code).toBe(0)
    }
    appendFileSync(join(repo.dir, 'prices.csv'), `${prices.slice(401).join('\n')}\n`)
    repo.git('commit', '-qam', 'new prices')
    const head = repo.git('rev-parse', 'main').trim()

    let error = refusal(repo, ['paper', 'paper/inflated'])
    expect(error.message).toMatch(
      /^the paper returns of paper\/inflated cannot be verified: its return on \S+, \S+, is not what its positions earned under close_to_close at 5 bps \(\S+\); nothing was recorded$/,
    )
    expect(error.fix).toContain('write returns.csv from the positions actually held')
    error = refusal(repo, ['paper', 'paper/doubled'])
    expect(error.message).toMatch(/^the paper run's returns\.csv gives \S+ more than once; nothing was recorded$/)
    error = refusal(repo, ['paper', 'paper/peeks'])
    expect(error.message).toMatch(
      /^the paper run of paper\/peeks held -?1 on (\S+), but -?1 when the prices after \1 were left out: on paper it reads prices from after its own date; nothing was recorded$/,
    )
    expect(repo.git('rev-parse', 'main').trim()).toBe(head)

    const honest = json(rigor(repo.dir, ['paper', 'paper/honest', '--json']))
    expect(honest.periods).toBe(60)
  })
})

describe('rigor paper on a node rerun since its paper deployment', () => {
  it('says the node is running again rather than that its runner writes no returns.csv; once it ran, paper trades again', async () => {
    marks = mkdtempSync(join(tmpdir(), 'rigor-marks-'))
    repo = ranNode({paper: {command: recorder(join(marks, 'paper.json'))}})
    await commitAudit(repo.dir, {verdict: 'PASS', auditor: 'dave', at: new Date()})
    expect(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--json']).code).toBe(0)
    expect(rigor(repo.dir, ['rerun', ID]).code).toBe(0)
    const head = repo.git('rev-parse', 'main').trim()
    const error = refusal(repo, ['paper', ID])
    expect(error.message).toBe(
      `${ID} is pending: it was rerun since its paper deployment, and its verdict and out/ wait for that run; nothing was recorded`,
    )
    expect(error.fix).toBe(`let it run (rigor work, or rigor run ${ID}), then run rigor paper ${ID} again`)
    expect(repo.git('rev-parse', 'main').trim()).toBe(head)
    // the same run again on the same data writes the returns.csv the deployment shipped: paper trades on
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    appendFileSync(join(repo.dir, 'data/prices.csv'), `${newPrices().slice(0, 30).join('\n')}\n`)
    repo.git('commit', '-qam', 'new prices')
    expect(json(rigor(repo.dir, ['paper', ID, '--json'])).periods).toBe(30)
  })
})
