import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse} from 'csv-parse/sync'
import {afterAll, describe, expect, it} from 'vitest'
import {runBacktestProtocol} from '../../../src/core/backtest/run-protocol.js'
import {InputError} from '../../../src/core/errors.js'
import {RunnerVerdict} from '../../../src/core/schemas/verdict.js'

const DATA = fileURLToPath(new URL('../../../data/SYNTH-A.csv', import.meta.url))
const scratches: string[] = []
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'rigor-protocol-'))
  scratches.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of scratches) rmSync(dir, {recursive: true, force: true})
})
const readCsv = (file: string): Record<string, string>[] => parse(readFileSync(file, 'utf8'), {columns: true})

describe('runBacktestProtocol', () => {
  it('reads RIGOR_DATA and RIGOR_PARAMS and writes a status-free verdict, returns.csv and positions.csv', async () => {
    const out = join(scratch(), 'out')
    const result = await runBacktestProtocol({RIGOR_DATA: DATA, RIGOR_OUT: out, RIGOR_PARAMS: '{"lookback": 60}'}, 'momentum')
    const verdict = RunnerVerdict.parse(JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')))
    expect(verdict.status).toBeUndefined()
    expect(verdict.artifacts).toEqual(['returns.csv', 'positions.csv'])
    expect(verdict.metrics).toEqual(result.metrics)
    for (const key of [
      'sharpe',
      'sharpe_mean',
      'sharpe_std',
      'sortino',
      'max_drawdown',
      'win_rate',
      'mean_pnl',
      'turnover',
      'total_return',
      'post_cost_sharpe',
      'n_periods',
      'is_sharpe',
    ]) {
      expect(Number.isFinite(verdict.metrics[key]), key).toBe(true)
    }

    const prices = readCsv(DATA)
    const positions = readCsv(join(out, 'positions.csv'))
    expect(positions.map((row) => row.date)).toEqual(prices.map((row) => row.date))
    expect(positions.slice(0, 60).every((row) => Number(row.position) === 0)).toBe(true)

    // returns.csv holds exactly the out-of-sample periods, after costs: its mean is mean_pnl
    const returns = readCsv(join(out, 'returns.csv'))
    expect(returns.length).toBe(verdict.metrics.n_periods)
    expect(returns.at(-1)!.date).toBe(prices.at(-1)!.date)
    const mean = returns.reduce((sum, row) => sum + Number(row.return), 0) / returns.length
    expect(mean).toBeCloseTo(verdict.metrics.mean_pnl, 15)
    expect(result.notes).toMatch(/momentum \{"lookback":60\} on SYNTH-A\.csv/)
  })

  it("pays each position with the next day: returns.csv is the previous day's position times the day's move (costs off)", async () => {
    const out = join(scratch(), 'out')
    await runBacktestProtocol({RIGOR_DATA: DATA, RIGOR_OUT: out, RIGOR_PARAMS: '{"window": 20, "cost_bps": 0}'}, 'breakout')
    const closes = readCsv(DATA).map((row) => Number(row.close))
    const positions = readCsv(join(out, 'positions.csv')).map((row) => Number(row.position))
    const returns = readCsv(join(out, 'returns.csv'))
    const first = closes.length - returns.length
    for (const [i, row] of returns.entries()) {
      const t = first + i
      expect(Number(row.return)).toBeCloseTo(positions[t - 1] * (closes[t] / closes[t - 1] - 1), 14)
    }
  })

  it('takes cost_bps and folds from the params over the flags, and the flags over the defaults', async () => {
    const run = async (params: object, opts = {}) =>
      (
        await runBacktestProtocol(
          {RIGOR_DATA: DATA, RIGOR_OUT: join(scratch(), 'o'), RIGOR_PARAMS: JSON.stringify(params)},
          'momentum',
          opts,
        )
      ).metrics
    expect((await run({})).cost_bps).toBe(5)
    expect((await run({}, {costBps: 2, folds: 3})).cost_bps).toBe(2)
    expect((await run({}, {costBps: 2, folds: 3})).n_folds).toBe(3)
    const fromParams = await run({cost_bps: 20, folds: 4}, {costBps: 2, folds: 3})
    expect(fromParams.cost_bps).toBe(20)
    expect(fromParams.n_folds).toBe(4)
    // costs only ever lower the net result; the gross one does not move with them
    const cheap = await run({cost_bps: 0})
    const dear = await run({cost_bps: 50})
    expect(dear.sharpe).toBeLessThan(cheap.sharpe)
    expect(dear.gross_sharpe).toBe(cheap.gross_sharpe)
    expect(cheap.sharpe).toBeCloseTo(cheap.gross_sharpe, 12)
  })

  it('says which params it ignored, and is deterministic whatever the seed', async () => {
    const env = {RIGOR_DATA: DATA, RIGOR_PARAMS: '{"period": 5, "dropout": 0.3}'}
    const a = await runBacktestProtocol({...env, RIGOR_OUT: join(scratch(), 'o'), RIGOR_SEED: '1'}, 'rsi-reversion')
    const b = await runBacktestProtocol({...env, RIGOR_OUT: join(scratch(), 'o'), RIGOR_SEED: '2'}, 'rsi-reversion')
    expect(a.notes).toMatch(/Ignored params: dropout\./)
    expect(a.metrics).toEqual(b.metrics)
  })

  it('reads prices only from RIGOR_DATA: a truncated copy gives the same positions up to the cut', async () => {
    const dir = scratch()
    const lines = readFileSync(DATA, 'utf8').trimEnd().split('\n')
    const truncated = join(dir, 'truncated.csv')
    writeFileSync(truncated, `${lines.slice(0, 1501).join('\n')}\n`)
    await runBacktestProtocol({RIGOR_DATA: DATA, RIGOR_OUT: join(dir, 'full')}, 'ma-crossover')
    await runBacktestProtocol({RIGOR_DATA: truncated, RIGOR_OUT: join(dir, 'cut')}, 'ma-crossover')
    const full = readCsv(join(dir, 'full', 'positions.csv'))
    const cut = readCsv(join(dir, 'cut', 'positions.csv'))
    expect(cut.length).toBe(1500)
    expect(cut).toEqual(full.slice(0, 1500))
  })

  it('warns when weekly or monthly prices are annualised as daily ones, and not when params.periods_per_year says their rate', async () => {
    // every 21st row of SYNTH-A: monthly bars, whose Sharpe ratio at 252 periods a year is sqrt(252 / 12) = 4.6 times too big
    const lines = readFileSync(DATA, 'utf8').trimEnd().split('\n')
    const monthly = join(scratch(), 'monthly.csv')
    writeFileSync(monthly, `${[lines[0], ...lines.slice(1).filter((_, i) => i % 21 === 0)].join('\n')}\n`)
    const params = {lookback: 3}
    const daily = await runBacktestProtocol(
      {RIGOR_DATA: monthly, RIGOR_OUT: join(scratch(), 'o'), RIGOR_PARAMS: JSON.stringify(params)},
      'momentum',
    )
    expect(daily.rate).toMatch(
      /monthly\.csv's dates come about 1[12] times a year, but sharpe, sortino and volatility are annualised at 252/,
    )
    expect(daily.rate).toMatch(/set params\.periods_per_year to 1[12]/)
    expect(daily.notes).toContain(`Warning: ${daily.rate}`)
    const own = await runBacktestProtocol(
      {RIGOR_DATA: monthly, RIGOR_OUT: join(scratch(), 'o'), RIGOR_PARAMS: JSON.stringify({...params, periods_per_year: 12})},
      'momentum',
    )
    expect(own.rate).toBeUndefined()
    expect(own.metrics.sharpe * Math.sqrt(252 / 12)).toBeCloseTo(daily.metrics.sharpe, 12)
    // daily prices with weekends and holidays missing are daily
    expect((await runBacktestProtocol({RIGOR_DATA: DATA, RIGOR_OUT: join(scratch(), 'o')}, 'momentum')).rate).toBeUndefined()
  })

  it('raises InputError with a fix when RIGOR_DATA or RIGOR_OUT is missing', async () => {
    await expect(runBacktestProtocol({RIGOR_OUT: scratch()}, 'momentum')).rejects.toThrow(InputError)
    await expect(runBacktestProtocol({RIGOR_DATA: DATA}, 'momentum')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/RIGOR_OUT is not set/),
      fix: expect.stringMatching(/rigor run/),
    })
  })

  it('names the source of bad input', async () => {
    const env = {RIGOR_DATA: DATA, RIGOR_OUT: scratch()}
    await expect(runBacktestProtocol({...env, RIGOR_PARAMS: '{"lookback": 0}'}, 'momentum')).rejects.toThrow(
      /RIGOR_PARAMS, field "lookback"/,
    )
    await expect(runBacktestProtocol({...env, RIGOR_PARAMS: '[]'}, 'momentum')).rejects.toThrow(/RIGOR_PARAMS: must be a JSON object/)
    await expect(runBacktestProtocol({...env, RIGOR_PARAMS: '{"cost_bps": -1}'}, 'momentum')).rejects.toThrow(/field "cost_bps"/)
    await expect(runBacktestProtocol({...env, RIGOR_SEED: 'abc'}, 'momentum')).rejects.toThrow(/RIGOR_SEED/)
    // each with its fix
    for (const bad of [{RIGOR_PARAMS: '{"folds": 0}'}, {RIGOR_PARAMS: 'nope'}, {RIGOR_PARAMS: '[]'}, {RIGOR_SEED: '1.5'}])
      await expect(runBacktestProtocol({...env, ...bad}, 'momentum'), JSON.stringify(bad)).rejects.toMatchObject({fix: expect.any(String)})
    await expect(runBacktestProtocol(env, 'nope')).rejects.toThrow(/unknown strategy "nope"/)
    const short = join(scratch(), 'short.csv')
    writeFileSync(short, 'date,close\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n')
    await expect(runBacktestProtocol({...env, RIGOR_DATA: short}, 'momentum')).rejects.toThrow(
      /short\.csv: has 3 price rows; 5 walk-forward folds need at least 13/,
    )
  })
})

describe('runBacktestProtocol under audit', () => {
  it('multiplies costs once by RIGOR_COST_MULTIPLIER (params.cost_bps is never doubled as well) and declares its accounting', async () => {
    const out = join(scratch(), 'out')
    await runBacktestProtocol(
      {RIGOR_DATA: DATA, RIGOR_OUT: out, RIGOR_PARAMS: '{"lookback": 20, "cost_bps": 5}', RIGOR_COST_MULTIPLIER: '2'},
      'momentum',
    )
    const verdict = RunnerVerdict.parse(JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')))
    expect(verdict.metrics.cost_bps).toBe(10)
    expect(verdict.accounting).toEqual({convention: 'close_to_close', price: 'close', cost_bps: 10})
    await expect(runBacktestProtocol({RIGOR_DATA: DATA, RIGOR_OUT: out, RIGOR_COST_MULTIPLIER: 'lots'}, 'momentum')).rejects.toThrow(
      /RIGOR_COST_MULTIPLIER/,
    )
  })
})
