import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {VIEW_FROM} from '../../src/core/dag/sealed-data.js'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv, writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ROWS = 600
/** research rows: the first 80% (holdout: {fraction: 0.2}) */
const RESEARCH = ROWS - Math.round(ROWS * 0.2)

/** A long-only strategy (position 1): its edge is the drift, which the test controls per period. */
const LONG = 'return close.map(() => 1)'

/** A runner that reports the last date it can see through RIGOR_DATA and through the data file's own workspace path. */
const PEEK = [
  process.execPath,
  '-e',
  [
    "const fs=require('fs');",
    "const last=(f)=>{try{return fs.readFileSync(f,'utf8').trim().split('\\n').pop().split(',')[0]}catch(e){return 'unreadable'}};",
    "fs.writeFileSync(process.env.RIGOR_OUT+'/seen.json',JSON.stringify({data:last(process.env.RIGOR_DATA),workspace:last(process.env.RIGOR_WORKSPACE+'/prices.csv')}));",
    'fs.writeFileSync(process.env.RIGOR_OUT+\'/verdict.json\',\'{"metrics":{"sharpe":1}}\')',
  ].join(''),
]

function setUp(holdoutDrift: number, sealed = true): void {
  repo = workspace()
  // a steady up-drift in the research period; in the holdout, the drift the test asks for
  writeFileSync(
    join(repo.dir, 'prices.csv'),
    pricesCsv({rows: ROWS, seed: 11, drift: 0.0015, vol: 0.008, extra: (t) => (t >= RESEARCH ? holdoutDrift - 0.0015 : 0)}),
  )
  const config = {
    version: 1,
    teams: [{name: 'default'}],
    gates: [{name: 'g', accept_when: 'true'}],
    ...(sealed ? {holdout: {fraction: 0.2}} : {}),
    audit: {permutations: 12},
  }
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
  const long = writeRunner(repo.dir, 'long', LONG)
  repo.git('add', '.')
  repo.git('commit', '-qm', 'data, runner, a sealed holdout')
  writeSpec(repo.dir, {
    nodes: [
      {id: 'seal/peek', team: 'default', run: {command: PEEK}, data: 'prices.csv'},
      {id: 'seal/peek-unsandboxed', team: 'default', run: {command: PEEK, sandbox: 'off'}, data: 'prices.csv'},
      {id: 'long/a', team: 'default', run: {command: ['node', long]}, params: {cost_bps: 0}, data: 'prices.csv'},
      {id: 'long/b', team: 'default', run: {command: ['node', long]}, params: {cost_bps: 0, variant: 2}, data: 'prices.csv'},
    ],
  })
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
  const work = rigor(repo.dir, ['work', '--worker', 'runner', '--parallel', '2'])
  expect(work.code, work.stderr).toBe(0)
}

const researchEnd = (file = 'prices.csv') => readFileSync(join(repo.dir, file), 'utf8').trim().split('\n')[RESEARCH]!.split(',')[0]
const holdoutCommits = () => repo.git('log', '--format=%H', '--grep=Rigor-Action: holdout', 'main').split('\n').filter(Boolean).length

describe('the sealed holdout', () => {
  it('research runs see only rows before the holdout, through RIGOR_DATA and the file path alike; audits open it once per artifact version and count every opening', () => {
    setUp(0.0015)
    const seen = JSON.parse(repo.git('show', 'main:experiments/seal/peek/out/seen.json'))
    expect(seen).toEqual({data: researchEnd(), workspace: researchEnd()})
    // without the sandbox the file's own path shows everything: the verdict says sandbox off, the holdout is not sealed
    const loose = JSON.parse(repo.git('show', 'main:experiments/seal/peek-unsandboxed/out/seen.json'))
    expect(loose.data).toBe(researchEnd())
    expect(loose.workspace).not.toBe(researchEnd())

    const first = rigor(repo.dir, ['audit', 'long/a', '--auditor', 'alice', '--json'])
    expect(first.code, first.stderr).toBe(0)
    const audit = json(first)
    expect(audit.holdout.from > researchEnd()).toBe(true)
    expect(audit.holdout.passed, audit.holdout.summary).toBe(true)
    expect(audit.holdout.openings).toBe(1)
    expect(audit.checks.find((c: {name: string}) => c.name === 'holdout.score').result).toBe('pass')
    expect(holdoutCommits()).toBe(1)
    // a second auditor of the same artifacts reuses the opening: nobody looked again
    expect(json(rigor(repo.dir, ['audit', 'long/a', '--auditor', 'bob', '--json'])).holdout.openings).toBe(1)
    expect(holdoutCommits()).toBe(1)
    // another member of the family is a second look at the same holdout
    const sibling = json(rigor(repo.dir, ['audit', 'long/b', '--auditor', 'alice', '--json']))
    expect(sibling.holdout.openings).toBe(2)
    expect(sibling.holdout.summary).toContain('holdout viewed 2 times: it is no longer a clean holdout')
    expect(holdoutCommits()).toBe(2)
    const shown = json(rigor(repo.dir, ['show', 'long/a', '--json']))
    expect(shown.holdout.openings.map((o: {node: string}) => o.node)).toEqual(['long/a', 'long/b'])
    const report = readFileSync(join(repo.dir, audit.file ?? `audits/long/a/${audit.audited_at.slice(0, 10)}-alice.md`), 'utf8')
    expect(report).toMatch(/holdout/i)
    const deployed = rigor(repo.dir, ['deploy', 'long/a', '--stage', 'paper', '--json'])
    expect(deployed.code, deployed.stdout).toBe(0)

    // a record of an opening edited by hand still counts as an opening for the audit: show counts and names it too
    const record = repo
      .git('ls-files', 'audits/long/b')
      .split('\n')
      .find((f) => /holdout-[0-9a-f]+\.yaml$/.test(f))!
    writeFileSync(join(repo.dir, record), 'garbage: [\n')
    repo.git('commit', '-qam', 'a broken record')
    const broken = rigor(repo.dir, ['show', 'long/a'])
    expect(broken.code, broken.stderr).toBe(0)
    expect(broken.stdout).toContain('opened 2 time(s): it is no longer a clean holdout')
    expect(broken.stdout).toContain(`1 record(s) cannot be read and count as openings: ${record}`)
    const brokenJson = json(rigor(repo.dir, ['show', 'long/a', '--json'])).holdout
    expect(brokenJson.openings.map((o: {node: string}) => o.node)).toEqual(['long/a'])
    expect(brokenJson.unreadable).toEqual([record])

    // a record removed by a commit: the holdout of those artifacts is not opened again, and the look still counts
    const opened = repo
      .git('ls-files', 'audits/long/a')
      .split('\n')
      .find((f) => /holdout-[0-9a-f]+\.yaml$/.test(f))!
    repo.git('rm', '-q', opened)
    repo.git('commit', '-qm', 'tidy the holdout records')
    const again = rigor(repo.dir, ['audit', 'long/a', '--auditor', 'dave', '--json'])
    expect(again.code).toBe(1)
    expect(json(again).error.message).toContain(`its record ${opened} has since been removed: a holdout is opened once`)
    expect(holdoutCommits()).toBe(2)
    expect(json(rigor(repo.dir, ['show', 'long/a', '--json'])).holdout.unreadable).toEqual([record, opened])
  })

  it('paper trades only prices that arrive after the paper deployment: the holdout rows, and rows appended before it, are history its runner reads, never paper periods', () => {
    setUp(0.0015)
    expect(rigor(repo.dir, ['audit', 'long/a', '--auditor', 'alice', '--json']).code).toBe(0)
    // the prices the data file will hold: three more arrive before the deployment, five after it
    const longer = pricesCsv({rows: ROWS + 8, seed: 11, drift: 0.0015, vol: 0.008})
      .trim()
      .split('\n')
    const lines = longer.slice(0, ROWS + 1 + 3)
    const ran = readFileSync(join(repo.dir, 'prices.csv'), 'utf8')
    expect(`${lines.slice(0, ROWS + 1).join('\n')}\n`).toBe(ran)
    writeFileSync(join(repo.dir, 'prices.csv'), `${lines.join('\n')}\n`)
    repo.git('commit', '-qam', 'three prices arrived')
    expect(rigor(repo.dir, ['deploy', 'long/a', '--stage', 'paper', '--json']).code).toBe(0)
    const lastDate = lines.at(-1)!.split(',')[0]!
    expect(repo.git('show', 'main:deployments/paper/long/a.yaml')).toContain(`data_end: ${lastDate}`)

    // every row after the backtest window was there before the deployment (the holdout the audit scored among them)
    const nothing = rigor(repo.dir, ['paper', 'long/a', '--json'])
    expect(nothing.code, nothing.stdout).toBe(3)
    expect(json(nothing).error.message).toBe(
      `no prices after ${lastDate}, the last date prices.csv held when long/a was deployed to paper in prices.csv`,
    )
    // rows it held then, removed since: refused rather than read as a shorter history
    writeFileSync(join(repo.dir, 'prices.csv'), ran)
    repo.git('commit', '-qam', 'drop the three rows')
    const shorter = rigor(repo.dir, ['paper', 'long/a', '--json'])
    expect(shorter.code).toBe(1)
    expect(json(shorter).error.message).toContain(`prices.csv no longer holds ${lastDate}`)
    writeFileSync(join(repo.dir, 'prices.csv'), `${lines.join('\n')}\n`)
    repo.git('commit', '-qam', 'put them back')

    // five prices that arrived since, given alone: the runner reads every earlier row first, so no return spans a gap
    const arrived = longer.slice(-5)
    writeFileSync(join(repo.dir, 'new-prices.csv'), `${lines[0]}\n${arrived.join('\n')}\n`)
    const paper = rigor(repo.dir, ['paper', 'long/a', '--data', 'new-prices.csv', '--json'])
    expect(paper.code, paper.stdout).toBe(0)
    const result = json(paper)
    expect(result.periods).toBe(5)
    expect(result.from).toBe(arrived[0]!.split(',')[0])
    const close = (line: string) => Number(line.split(',')[4])
    const first = Number(repo.git('show', 'main:deployments/paper/long/a.returns.csv').split('\n')[1]!.split(',')[1])
    expect(first).toBeCloseTo(close(arrived[0]!) / close(lines.at(-1)!) - 1, 8)
  })

  it('a strategy that fails on the holdout fails its audit and is not deployed', () => {
    setUp(-0.004)
    const audit = json(rigor(repo.dir, ['audit', 'long/a', '--auditor', 'alice', '--json']))
    expect(audit.holdout.passed).toBe(false)
    expect(audit.verdict).toBe('FAIL')
    const refused = rigor(repo.dir, ['deploy', 'long/a', '--stage', 'paper', '--json'])
    expect(refused.code).toBe(1)
    expect(json(refused).error.message).toContain('holdout')
  })

  it('a strategy that holds no position through the holdout fails it (it shows nothing there), rather than crashing the audit', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'prices.csv'), pricesCsv({rows: ROWS, seed: 11, drift: 0.0015, vol: 0.008}))
    const config = {version: 1, teams: [{name: 'default'}], gates: [{name: 'g', accept_when: 'true'}], holdout: {fraction: 0.2}}
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...config, audit: {permutations: 4, seeds: [1]}}))
    // long until a date inside the research rows, flat from then on: every holdout return is 0
    const flat = pricesCsv({rows: ROWS, seed: 11}).split('\n')[RESEARCH - 20]!.split(',')[0]
    const runner = writeRunner(repo.dir, 'goes-flat', `return close.map((_, t) => (dates[t] < '${flat}' ? 1 : 0))`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data, runner, a sealed holdout')
    writeSpec(repo.dir, {
      nodes: [{id: 'flat/end', team: 'default', run: {command: ['node', runner]}, params: {cost_bps: 0}, data: 'prices.csv'}],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
    expect(rigor(repo.dir, ['work', '--worker', 'runner']).code).toBe(0)
    const audited = rigor(repo.dir, ['audit', 'flat/end', '--auditor', 'alice', '--json'])
    expect(audited.code, audited.stdout).toBe(0)
    const audit = json(audited)
    expect(audit.holdout.passed).toBe(false)
    const score = audit.checks.find((c: {name: string}) => c.name === 'holdout.score')
    expect(score).toMatchObject({result: 'fail', figures: {sharpe_annualised: 0, dsr: 0}})
    expect(score.reason).toMatch(/its \d+ holdout returns never vary \(it held no position there\): the holdout shows nothing/)
    expect(audit.verdict).toBe('FAIL')
  })

  it('a holdout re-run that reports a return that is no number fails the holdout, rather than crashing it or scoring without that day', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'prices.csv'), pricesCsv({rows: ROWS, seed: 11, drift: 0.0015, vol: 0.008}))
    const config = {version: 1, teams: [{name: 'default'}], gates: [{name: 'g', accept_when: 'true'}], holdout: {fraction: 0.2}}
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...config, audit: {permutations: 4, seeds: [1]}}))
    // research runs never see row RESEARCH + 5; the holdout run reports NaN there (a loss it would rather not show)
    const runner = writeRunner(repo.dir, 'hides', LONG, `net.map((r, t) => (t === ${RESEARCH + 5} ? Number.NaN : r))`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data, runner, a sealed holdout')
    writeSpec(repo.dir, {
      nodes: [{id: 'hide/day', team: 'default', run: {command: ['node', runner]}, params: {cost_bps: 0}, data: 'prices.csv'}],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
    expect(rigor(repo.dir, ['work', '--worker', 'runner']).code).toBe(0)
    const audited = rigor(repo.dir, ['audit', 'hide/day', '--auditor', 'alice', '--json'])
    expect(audited.code, audited.stdout).toBe(0)
    const audit = json(audited)
    expect(audit.holdout.passed).toBe(false)
    const score = audit.checks.find((c: {name: string}) => c.name === 'holdout.score')
    expect(score.result).toBe('fail')
    expect(score.reason).toMatch(/its re-run on the full data reported "NaN" for \S+, not a number/)
    expect(audit.verdict).toBe('FAIL')
  })

  it('an audit made before holdout: was configured does not open the gate once it is', () => {
    setUp(0.0015, false)
    const audit = json(rigor(repo.dir, ['audit', 'long/a', '--auditor', 'alice', '--json']))
    expect(audit.holdout).toBeUndefined()
    expect(audit.verdict, JSON.stringify(audit.issues)).toBe('PASS')
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8').replace('audit:', 'holdout: {fraction: 0.2}\naudit:'),
    )
    repo.git('commit', '-qam', 'seal a holdout from now on')
    const before = rigor(repo.dir, ['deploy', 'long/a', '--stage', 'paper', '--json'])
    expect(before.code).toBe(1)
    expect(json(before).error.message).toContain('has no holdout result')
  })

  // two layouts: the files at the root (each sealed file bound on its own), and a directory of many (shown as one view)
  it.each([
    {layout: 'two files at the root', dir: '', others: 0},
    {layout: 'a directory of many, shown as a view', dir: 'data/', others: VIEW_FROM},
  ])(
    'every data file the nodes declare is sealed, not only the data of the run ($layout): research runs and audit checks see another file cut, the opening sees it whole',
    ({dir, others}) => {
      repo = workspace()
      mkdirSync(join(repo.dir, 'data'), {recursive: true})
      const own = `${dir}prices.csv`
      const bench = `${dir}bench.csv`
      writeFileSync(join(repo.dir, own), pricesCsv({rows: ROWS, seed: 11, drift: 0.0015, vol: 0.008}))
      writeFileSync(join(repo.dir, bench), pricesCsv({rows: ROWS, seed: 12, drift: 0.001, vol: 0.008}))
      const assets = Array.from({length: others}, (_, i) => `${dir}asset${i}.csv`)
      for (const [i, asset] of assets.entries()) writeFileSync(join(repo.dir, asset), pricesCsv({rows: ROWS, seed: 20 + i}))
      writeFileSync(join(repo.dir, 'data', 'README.md'), 'where the data comes from\n')
      const config = {
        version: 1,
        teams: [{name: 'default'}],
        gates: [{name: 'g', accept_when: 'true'}],
        holdout: {fraction: 0.2},
        audit: {permutations: 12},
      }
      writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
      // a long strategy that also reads another node's data file by its workspace path. It stops (exit 7) when a run cut
      // before the holdout shows that file past it, (exit 8) when the opening, which runs on the whole file, shows it cut,
      // and (exit 9) when its own file's workspace path does not show what RIGOR_DATA holds: each a wrong view
      const cross = writeRunner(
        repo.dir,
        'cross',
        `const at = (path) => { const lines = readFileSync(process.env.RIGOR_WORKSPACE + '/' + path, 'utf8').trim().split('\\n'); return lines[lines.length - 1].split(',')[0] }
const benchLast = at(params.bench)
const sealedRun = dates[dates.length - 1] <= params.research_end
if (sealedRun && benchLast > params.research_end) { process.stderr.write(params.bench + ' shows the holdout, to ' + benchLast); process.exit(7) }
if (!sealedRun && benchLast <= params.research_end) { process.stderr.write('the opening shows ' + params.bench + ' cut'); process.exit(8) }
if (at(params.own) !== dates[dates.length - 1]) { process.stderr.write(params.own + ' is not RIGOR_DATA'); process.exit(9) }
if (!readFileSync(process.env.RIGOR_WORKSPACE + '/data/README.md', 'utf8').startsWith('where')) process.exit(10)
return close.map(() => 1)`,
      )
      repo.git('add', '.')
      repo.git('commit', '-qm', 'data files, a runner, a sealed holdout')
      const end = researchEnd(own)
      expect(researchEnd(bench)).toBe(end)
      writeSpec(repo.dir, {
        nodes: [
          {
            id: 'cross/a',
            team: 'default',
            run: {command: ['node', cross]},
            params: {cost_bps: 0, research_end: end, bench, own},
            data: own,
            priority: 5,
          },
          // declared, never run here
          ...[bench, ...assets].map((data, i) => ({id: `other/n${i}`, team: 'default', run: {command: ['true']}, data})),
        ],
      })
      expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
      const work = rigor(repo.dir, ['work', '--worker', 'runner', '--max-nodes', '1'])
      expect(work.code, work.stderr).toBe(0)
      const shown = json(rigor(repo.dir, ['show', 'cross/a', '--json']))
      expect(shown.verdict.sandbox).toBe('on')
      expect(shown.verdict.status, readFileSync(join(repo.dir, 'experiments/cross/a/out/run.log'), 'utf8')).toBe('proven_accepted')

      // every check re-runs the runner on data cut before the holdout (truncations, shuffled copies, costs, seeds), then
      // the opening on the whole file: a wrong view in any of them fails a check, and the audit
      const audited = rigor(repo.dir, ['audit', 'cross/a', '--auditor', 'alice', '--json'])
      expect(audited.code, audited.stderr).toBe(0)
      const audit = json(audited)
      const failed = audit.checks
        // PBO needs four trials with returns, this family has one
        .filter((c: {name: string; result: string}) => c.result !== 'pass' && !(c.name === 'overfitting.pbo' && c.result === 'skipped'))
        .map((c: {name: string; result: string; reason?: string}) => `${c.name} ${c.result}: ${c.reason}`)
      expect(failed).toEqual([])
      expect(audit.holdout.passed, audit.holdout.summary).toBe(true)
      expect(audit.verdict).toBe('PASS')
    },
  )

  it('a run whose other data files cannot be sealed does not start: inconclusive, with the reason', () => {
    repo = workspace()
    mkdirSync(join(repo.dir, 'data'))
    const files = Array.from({length: VIEW_FROM}, (_, i) => `data/asset${i}.csv`)
    for (const [i, file] of files.entries()) writeFileSync(join(repo.dir, file), pricesCsv({rows: ROWS, seed: 30 + i}))
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({version: 1, teams: [{name: 'default'}], holdout: {fraction: 0.2}}))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data, a sealed holdout')
    // where the directory's view would be made, a file: the view cannot be made
    mkdirSync(join(repo.dir, '.git', 'rigor'), {recursive: true})
    writeFileSync(join(repo.dir, '.git', 'rigor', 'views'), 'in the way\n')
    const ran = [process.execPath, '-e', "require('fs').writeFileSync(process.env.RIGOR_OUT + '/ran.txt', 'ran')"]
    writeSpec(repo.dir, {nodes: files.map((data, i) => ({id: `assets/n${i}`, team: 'default', run: {command: ran}, data}))})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--max-nodes', '1'])
    expect(work.code, work.stderr).toBe(0)
    const verdict = json(rigor(repo.dir, ['show', 'assets/n0', '--json'])).verdict
    expect(verdict.status).toBe('inconclusive')
    expect(verdict.reason).toContain('the holdout of the other data files cannot be sealed')
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'experiments/assets/n0')).not.toContain('ran.txt')
  })
})
