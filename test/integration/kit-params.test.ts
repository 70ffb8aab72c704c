import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'

// the kit's params as a user hands them in through RIGOR_PARAMS, through the built CLI
const work = mkdtempSync(join(tmpdir(), 'rigor-kit-params-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

const prices = join(work, 'prices.csv')
writeFileSync(prices, `date,close\n${Array.from({length: 40}, (_, i) => `${1_704_067_200 + i * 86_400},${100 + (i % 7)}`).join('\n')}\n`)

function backtest(strategy: string, params: unknown) {
  return rigor(work, ['backtest', '--strategy', strategy, '--folds', '1'], {
    RIGOR_DATA: prices,
    RIGOR_OUT: join(work, 'out'),
    RIGOR_PARAMS: JSON.stringify(params),
  })
}

describe('vol-target base', () => {
  it.each(['toString', '__proto__', 'constructor'])('refuses %s as a base strategy (exit 2, naming the field), not crashing', (base) => {
    const run = backtest('vol-target', {base})
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toContain('field "base"')
    expect(run.stderr).toContain('is not a base strategy; one of momentum, ma-crossover, rsi-reversion, breakout')
  })
})

describe('params nothing reads', () => {
  it('a misspelt param is named on stderr with the one meant, since the strategy ran on its default', () => {
    const run = backtest('momentum', {lookbak: 5, cost_bps: 5})
    expect(run.code, run.stderr).toBe(0)
    const warning = run.stderr.replace(/\s*›\s*/g, ' ')
    expect(warning).toContain('momentum read no param named lookbak (did you mean lookback?): it ran with {"lookback":60}')
    expect(warning).toContain('the params it reads are cost_bps, folds, periods_per_year, lookback')
  })

  it('an overlay knows its base strategy’s params, and says nothing when every param is read', () => {
    const read = backtest('vol-target', {base: 'breakout', window: 3, vol_window: 2})
    expect(read.code, read.stderr).toBe(0)
    expect(read.stderr).not.toContain('read no param')
    const unread = backtest('vol-target', {base: 'breakout', window: 3, vol_window: 2, lookback: 3})
    expect(unread.stderr.replace(/\s*›\s*/g, ' ')).toContain('vol-target read no param named lookback:')
  })
})

describe('RIGOR_OUT', () => {
  it('naming a file, or a directory where an output goes, is refused as the user’s to change (exit 2), not a crash', () => {
    const file = join(work, 'a-file')
    writeFileSync(file, 'mine\n')
    const onFile = rigor(work, ['backtest', '--strategy', 'momentum'], {RIGOR_DATA: prices, RIGOR_OUT: file})
    expect(onFile.code, onFile.stderr).toBe(2)
    expect(onFile.stderr).toContain(`${file}, field "RIGOR_OUT": cannot hold the backtest's outputs`)
    expect(onFile.stderr).toContain('Fix: set RIGOR_OUT to a directory you can write to')
    expect(readFileSync(file, 'utf8')).toBe('mine\n')

    const out = join(work, 'blocked')
    mkdirSync(join(out, 'positions.csv'), {recursive: true})
    const blocked = rigor(work, ['backtest', '--strategy', 'momentum'], {RIGOR_DATA: prices, RIGOR_OUT: out})
    expect(blocked.code, blocked.stderr).toBe(2)
    expect(blocked.stderr).toContain('field "RIGOR_OUT"')
    // no verdict: the outputs it would list are not all there
    expect(existsSync(join(out, 'verdict.json'))).toBe(false)
  })
})

describe('windows longer than the history', () => {
  it.each([
    ['vol-target', {vol_window: Number.MAX_SAFE_INTEGER, lookback: 1}],
    ['vol-target', {vol_window: 5_000_000_000, lookback: 1}],
    ['momentum', {lookback: Number.MAX_SAFE_INTEGER}],
    ['breakout', {window: Number.MAX_SAFE_INTEGER}],
    ['rsi-reversion', {period: Number.MAX_SAFE_INTEGER}],
    ['ma-crossover', {fast: 5_000_000_000, slow: Number.MAX_SAFE_INTEGER}],
  ])(
    '%s %j runs flat and says its Sharpe ratio measures nothing (exit 0), allocating nothing the size of the window',
    (strategy, params) => {
      const run = backtest(strategy, params)
      expect(run.code, run.stderr).toBe(0)
      expect(run.stderr.replace(/\s*›\s*/g, ' ')).toContain('took no position in the out-of-sample window')
      const positions = readFileSync(join(work, 'out', 'positions.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
      expect(positions.every((line) => line.endsWith(',0'))).toBe(true)
    },
  )
})

describe('cost_bps', () => {
  it('beyond 10,000 bps (100% of what is traded) is refused, from RIGOR_PARAMS or --cost-bps (exit 2), not turned into metrics', () => {
    const param = backtest('momentum', {lookback: 1, cost_bps: 20_000})
    expect(param.code, param.stderr).toBe(2)
    expect(param.stderr).toContain('RIGOR_PARAMS, field "cost_bps"')
    expect(param.stderr).toContain('cost_bps is a number from 0 to 10000')
    const flag = rigor(work, ['backtest', '--strategy', 'momentum', '--cost-bps', '1e308'], {
      RIGOR_DATA: prices,
      RIGOR_OUT: join(work, 'out'),
      RIGOR_PARAMS: '{"lookback": 1}',
    })
    expect(flag.code, flag.stderr).toBe(2)
    expect(flag.stderr).toContain('--cost-bps')
    expect(backtest('momentum', {lookback: 1, cost_bps: 10_000}).code).toBe(0)
  })
})
