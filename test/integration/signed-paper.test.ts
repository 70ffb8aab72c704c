import {appendFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {withChecksum} from '../../src/core/state/checksum.js'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {type AuditorKeys, auditorKeys} from './signed-helpers.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
let keys: AuditorKeys
afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

const ID = 'mom/signed'
const SYNTH_A = join(dirname(fileURLToPath(import.meta.url)), '../../data/SYNTH-A.csv')
const HISTORY_ROWS = 2000
const RESULTS = `deployments/paper/${ID}.results.yaml`
const PAPER = `deployments/paper/${ID}.yaml`

/** alice and bob listed, and live's paper minimums, in the first list's commit (trusted on first use); a momentum node run and accepted. */
function signedWorkspace(): TempRepo {
  const r = workspace()
  const config = {
    version: 1,
    teams: [{name: 'default'}],
    gates: [{name: 'always', accept_when: 'true'}],
    auditors: ['alice', 'bob'].map((name) => ({name, key: keys.pub(name)})),
    deploy: {live: {min_paper_periods: 20, min_paper_sharpe: -100}},
  }
  writeFileSync(join(r.dir, 'rigor.yaml'), stringify(config))
  const lines = readFileSync(SYNTH_A, 'utf8').trimEnd().split('\n')
  mkdirSync(join(r.dir, 'data'))
  writeFileSync(join(r.dir, 'data/prices.csv'), `${lines.slice(0, HISTORY_ROWS + 1).join('\n')}\n`)
  r.git('add', 'rigor.yaml', 'data/prices.csv')
  r.git('commit', '-qm', 'auditors, deploy minimums and prices')
  writeSpec(r.dir, {
    nodes: [{id: ID, team: 'default', run: {command: ['rigor', 'backtest', '--strategy', 'momentum']}, data: 'data/prices.csv'}],
  })
  expect(rigor(r.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  expect(rigor(r.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
  expect(json(rigor(r.dir, ['show', ID, '--json'])).status).toBe('proven_accepted')
  return r
}

/** New prices arrive: rows `from` to `to` of those after the backtest's, appended to the data file and committed. */
function arrive(from: number, to?: number): void {
  const rows = readFileSync(SYNTH_A, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(HISTORY_ROWS + 1)
  appendFileSync(join(repo.dir, 'data/prices.csv'), `${rows.slice(from, to).join('\n')}\n`)
  repo.git('commit', '-qam', 'new prices')
}

const live = (extra: string[] = []) => rigor(repo.dir, ['deploy', ID, '--stage', 'live', '--by', 'dave', '--json', ...extra])

describe('live reads paper records only as a listed auditor signed them', () => {
  it('refuses paper results forged in a commit with a Rigor-Action: paper trailer, and unsigned ones; signed paper runs go live', async () => {
    keys = auditorKeys(['alice', 'bob'])
    repo = signedWorkspace()
    await commitAuditReport(repo.dir, {id: ID, verdict: 'PASS', auditor: 'bob', signingKey: keys.key('bob'), checks: []})
    expect(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'dave']).code).toBe(0)
    arrive(0, 100)
    // an honest paper run, too short for live
    expect(json(rigor(repo.dir, ['paper', ID, '--periods', '10', '--json'])).periods).toBe(10)

    // the attack: 500 periods nobody traded, in a plain commit whose message claims to be rigor's paper run
    const {checksum: _old, ...made} = parse(readFileSync(join(repo.dir, RESULTS), 'utf8'))
    writeFileSync(join(repo.dir, RESULTS), stringify(withChecksum({...made, periods: 500, sharpe: 3})))
    repo.git('commit', '-qam', `paper ${ID}: 500 period(s), sharpe 3.00\n\nRigor-Action: paper\nRigor-Node: ${ID}`)
    const forged = live()
    expect(forged.code, forged.stdout).toBe(1)
    const error = json(forged).error as {message: string; fix: string}
    expect(error.message).toContain(
      `paper.signed: with auditors: in rigor.yaml, live reads paper records only as a listed auditor's signed commit wrote them: ${PAPER} is unsigned`,
    )
    expect(error.message).toContain(`${RESULTS} is unsigned`)
    expect(error.message).not.toContain('paper.periods')
    expect(error.fix).toContain(`rigor deploy ${ID} --stage paper --signing-key PATH`)
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', '--', 'deployments/live')).toBe('')

    // a paper deployment signed by a listed auditor, whose paper results are unsigned: still refused, saying how to sign them
    repo.git('checkout', 'HEAD^', '--', RESULTS)
    repo.git('commit', '-qm', 'put the paper results back')
    expect(rigor(repo.dir, ['deploy', ID, '--stage', 'paper', '--by', 'dave', '--signing-key', keys.key('alice')]).code).toBe(0)
    arrive(100)
    expect(json(rigor(repo.dir, ['paper', ID, '--json'])).periods).toBeGreaterThan(20)
    const unsigned = json(live()).error as {message: string; fix: string}
    expect(unsigned.message).toContain(
      `paper.signed: with auditors: in rigor.yaml, live reads paper records only as a listed auditor's signed commit wrote them: ${RESULTS} is unsigned`,
    )
    expect(unsigned.message).not.toContain(`${PAPER} is`)
    expect(unsigned.fix).toBe(
      `trade it on paper with a listed auditor's key: rigor paper ${ID} --signing-key PATH (a listed auditor's key; or RIGOR_SIGNING_KEY)`,
    )

    // rigor verify --signatures lists the paper results as it lists the deployment: unsigned, which live will not read
    const listed = () => {
      const files = json(rigor(repo.dir, ['verify', '--signatures', '--json'])).files as Array<{file: string; kind: string}>
      return files.find((f) => f.file === RESULTS)
    }
    expect(listed()).toMatchObject({kind: 'paper_results', status: 'unsigned', failed: false})

    // the same periods, signed: committed again rather than nothing to do, and live goes ahead
    const signed = rigor(repo.dir, ['paper', ID, '--signing-key', keys.key('bob'), '--json'])
    expect(signed.code, signed.stdout).toBe(0)
    const deployed = live()
    expect(deployed.code, deployed.stdout).toBe(0)
    const conditions = json(deployed).conditions as Array<{name: string; ok: boolean; detail: string}>
    expect(conditions.find((c) => c.name === 'paper.signed')).toMatchObject({
      ok: true,
      detail: 'the paper deployment and results are signed by alice and bob, listed auditor(s)',
    })
    expect(listed()).toMatchObject({kind: 'paper_results', status: 'good', signer: 'bob', failed: false})
    // signed already: the same periods again are nothing to do
    expect(rigor(repo.dir, ['paper', ID, '--signing-key', keys.key('bob')]).code).toBe(3)
  })

  it("refuses a paper deployment rolled back, then put back as it was signed by a plain commit claiming to be rigor's", () => {
    expect(rigor(repo.dir, ['deploy', ID, '--rollback', '--stage', 'live', '--by', 'dave']).code).toBe(0)
    expect(rigor(repo.dir, ['deploy', ID, '--rollback', '--stage', 'paper', '--by', 'dave', '--reason', 'it lost money']).code).toBe(0)
    expect(json(live()).error.message).toContain('paper.deployed: the paper deployment')
    // the signed active version back, in a commit whose message claims to be rigor's deploy
    repo.git('checkout', 'HEAD^', '--', PAPER)
    repo.git('commit', '-qm', `deploy ${ID} to paper\n\nRigor-Action: deploy\nRigor-Node: ${ID}`)
    const undone = live()
    expect(undone.code, undone.stdout).toBe(1)
    const error = json(undone).error as {message: string; fix: string}
    expect(error.message).toMatch(
      new RegExp(
        `paper\\.signed: .*${PAPER} is changed after signing \\(signed by alice in \\w+, then changed by commit \\w+ \\(not signed by a listed auditor\\) and put back as signed by commit \\w+ \\(not signed by a listed auditor\\)`,
      ),
    )
    expect(error.fix).toContain(`rigor deploy ${ID} --stage paper --signing-key PATH`)
  })
})
