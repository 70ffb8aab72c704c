import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse} from 'csv-parse/sync'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {RunnerVerdict} from '../../src/core/schemas/verdict.js'

// `rigor backtest` as a worker runs it: the built CLI in a child process, configured only
// through the runner protocol's environment (npm test builds dist/ first).
const root = fileURLToPath(new URL('../..', import.meta.url))
const data = join(root, 'data', 'SYNTH-A.csv')
const work = mkdtempSync(join(tmpdir(), 'rigor-backtest-cli-'))

function rigor(args: string[], env: Record<string, string>): {status: number | null; stdout: string; stderr: string} {
  // start from a clean slate: a RIGOR_* variable inherited from the shell must not leak into the run
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RIGOR_')))
  const run = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {cwd: work, env: {...base, ...env}, encoding: 'utf8'})
  return {status: run.status, stdout: run.stdout, stderr: run.stderr}
}

const readCsv = (file: string): Record<string, string>[] => parse(readFileSync(file, 'utf8'), {columns: true})

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'commands', 'backtest.js')))
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first')
})
afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('rigor backtest', () => {
  it('speaks the runner protocol: verdict.json, returns.csv and positions.csv in RIGOR_OUT', () => {
    const out = join(work, 'out')
    const run = rigor(['backtest', '--strategy', 'momentum'], {
      RIGOR_DATA: data,
      RIGOR_OUT: out,
      RIGOR_PARAMS: JSON.stringify({lookback: 60, cost_bps: 5}),
      RIGOR_SEED: '0',
    })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^momentum: sharpe -?\d+\.\d\d out of sample/)

    const verdict = RunnerVerdict.parse(JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')))
    expect(verdict.status).toBeUndefined()
    expect(verdict.artifacts).toEqual(['returns.csv', 'positions.csv'])
    expect(verdict.metrics).toMatchObject({n_folds: 5, cost_bps: 5})
    expect(verdict.metrics.n_periods).toBeGreaterThan(2000)

    const prices = readCsv(data)
    const positions = readCsv(join(out, 'positions.csv'))
    expect(Object.keys(positions[0])).toEqual(['date', 'position'])
    expect(positions.length).toBe(prices.length)
    expect(new Set(positions.map((row) => row.position))).toEqual(new Set(['0', '1', '-1']))

    const returns = readCsv(join(out, 'returns.csv'))
    expect(Object.keys(returns[0])).toEqual(['date', 'return'])
    expect(returns.length).toBe(verdict.metrics.n_periods)
    expect(returns.every((row) => Number.isFinite(Number(row.return)))).toBe(true)
  })

  it('prints the metrics object under --json', () => {
    const run = rigor(['backtest', '--strategy', 'rsi-reversion', '--cost-bps', '2', '--json'], {
      RIGOR_DATA: data,
      RIGOR_OUT: join(work, 'json'),
    })
    expect(run.status, run.stderr).toBe(0)
    const metrics = JSON.parse(run.stdout)
    expect(metrics.cost_bps).toBe(2)
    expect(metrics).toEqual(JSON.parse(readFileSync(join(work, 'json', 'verdict.json'), 'utf8')).metrics)
  })

  it('says so when a lookback as long as the history leaves it no position to earn with, rather than a bare Sharpe ratio of 0', () => {
    const short = join(work, 'short.csv')
    writeFileSync(short, `${readFileSync(data, 'utf8').split('\n').slice(0, 301).join('\n')}\n`)
    const out = join(work, 'idle')
    const run = rigor(['backtest', '--strategy', 'momentum'], {RIGOR_DATA: short, RIGOR_OUT: out, RIGOR_PARAMS: '{"lookback": 5000}'})
    // still a run (the auditor's re-runs on data cut short must trade nothing, not crash), but not a silent one
    expect(run.status, run.stderr).toBe(0)
    expect(run.stderr.replace(/[›\s]+/g, ' ')).toMatch(
      /Warning: momentum \{"lookback":5000\} took no position in the out-of-sample window \(\S+ to \S+\) of short\.csv's 300 price rows, so its Sharpe ratio of 0 measures nothing/,
    )
    const verdict = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8'))
    expect(verdict.metrics).toMatchObject({sharpe: 0, turnover: 0})
    expect(verdict.notes).toMatch(/Warning: momentum .* took no position .* shorten it \(RIGOR_PARAMS\) or give a longer history$/)
    // a lookback the history leaves room for: no warning
    const traded = rigor(['backtest', '--strategy', 'momentum'], {RIGOR_DATA: short, RIGOR_OUT: out, RIGOR_PARAMS: '{"lookback": 20}'})
    expect(traded.stderr).toBe('')
    expect(JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')).notes).not.toMatch(/Warning/)
  })

  it('exits 2 with a fix when RIGOR_DATA is not set', () => {
    const run = rigor(['backtest', '--strategy', 'momentum'], {RIGOR_OUT: join(work, 'nodata')})
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/RIGOR_DATA is not set/)
    expect(run.stderr).toMatch(/rigor run/)
    expect(existsSync(join(work, 'nodata', 'verdict.json'))).toBe(false)
  })

  it('exits 2 naming RIGOR_DATA when it never ends (/dev/zero), where reading it whole ran out of memory (an abort)', () => {
    const run = rigor(['backtest', '--strategy', 'momentum'], {RIGOR_DATA: '/dev/zero', RIGOR_OUT: join(work, 'zero')})
    expect(run.status, run.stderr).toBe(2)
    expect(run.stderr).toMatch(/\/dev\/zero: is larger than 256 MB, more than a price CSV can be/)
    expect(existsSync(join(work, 'zero'))).toBe(false)
  })

  it('exits 2 on an unknown strategy or a bad flag', () => {
    expect(rigor(['backtest', '--strategy', 'nope'], {RIGOR_DATA: data, RIGOR_OUT: join(work, 'x')}).status).toBe(2)
    expect(
      rigor(['backtest', '--strategy', 'momentum', '--cost-bps', 'cheap'], {RIGOR_DATA: data, RIGOR_OUT: join(work, 'x')}).status,
    ).toBe(2)
  })
})

describe('rigor data generate', () => {
  it('writes the bundled file again byte for byte from its documented seed', () => {
    const file = join(work, 'synth-a.csv')
    const run = rigor(['data', 'generate', '--symbol', 'SYNTH-A', '--seed', '11', '--years', '10', '--out', file, '--json'], {})
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({symbol: 'SYNTH-A', seed: 11, rows: 2520, first: '2015-01-02'})
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(data, 'utf8'))
    // and refuses to overwrite without --force
    expect(rigor(['data', 'generate', '--out', file], {}).status).toBe(2)
  })

  it('bad --start and --out are exit 2 naming the field, and no file, not a CSV of dates past 9999 or an EISDIR stack', () => {
    const dir = join(work, 'gen-bad')
    mkdirSync(dir)
    writeFileSync(join(dir, 'taken.csv'), 'mine\n')
    for (const [args, message] of [
      [['--start', '9999-12-31', '--out', join(dir, 'late.csv')], 'field "start": 2520 business days from 9999-12-31 run past 9999-12-31'],
      [['--start', '2015-02-30', '--out', join(dir, 'feb.csv')], 'field "start": "2015-02-30" is not a date'],
      [['--out', dir, '--force'], `${dir}, field "--out": is a directory`],
      [
        ['--out', join(dir, 'taken.csv', 'x.csv')],
        `field "--out": cannot make or use the folder ${join(dir, 'taken.csv')}: a part of the path is a file`,
      ],
    ]) {
      const run = rigor(['data', 'generate', ...args, '--json'], {})
      expect(run.status, run.stdout).toBe(2)
      expect(JSON.parse(run.stdout).error.message).toContain(message)
    }
    expect(readdirSync(dir)).toEqual(['taken.csv'])
    expect(readFileSync(join(dir, 'taken.csv'), 'utf8')).toBe('mine\n')
  })
})
