import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {probabilisticSharpeRatio} from '../../src/core/stats/psr.js'
import {estimateSharpe} from '../../src/core/stats/sharpe.js'

// `rigor stats` as a user runs it: the built CLI in a child process (npm test builds first).
const root = fileURLToPath(new URL('../..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'rigor-stats-cli-'))

function rigor(...args: string[]): {status: number | null; stdout: string; stderr: string; json: any} {
  const run = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: work, encoding: 'utf8'})
  let json: unknown
  try {
    json = JSON.parse(run.stdout)
  } catch {
    json = undefined
  }
  return {status: run.status, stdout: run.stdout, stderr: run.stderr, json}
}

/** A deterministic wiggle: returns that are neither normal nor trivial. */
function series(n: number, drift: number, phase: number): number[] {
  return Array.from({length: n}, (_, t) => drift + 0.01 * Math.sin(1.7 * t + phase) + 0.004 * Math.cos(0.31 * t * t + phase))
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/commands/stats/dsr.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first')
})
afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('rigor stats', () => {
  it('dsr reproduces the Deflated Sharpe Ratio paper example with annualised inputs', () => {
    // Bailey & López de Prado (2014): SR 2.5 a year, 100 trials, V = 0.5 (annualised),
    // skewness -3, kurtosis 10, T = 1250 days, 250 days a year -> DSR ≈ 0.9004, SR0 ≈ 0.1132 a day
    const run = rigor(
      'stats',
      'dsr',
      '--sharpe',
      '2.5',
      '--trials',
      '100',
      '--var-trials',
      '0.5',
      '--skew',
      '-3',
      '--kurtosis',
      '10',
      '--n-obs',
      '1250',
      '--periods-per-year',
      '250',
      '--json',
    )
    expect(run.status).toBe(0)
    expect(run.json.dsr).toBeCloseTo(0.9004, 4)
    expect(run.json.sr0_per_period).toBeCloseTo(0.1132, 4)
    expect(run.json.sr0).toBeCloseTo(0.1132 * Math.sqrt(250), 2)
    expect(run.json.periods_per_year).toBe(250)
  })

  it('dsr gives the same answer per period, the default convention', () => {
    const run = rigor(
      'stats',
      'dsr',
      '--sharpe',
      String(2.5 / Math.sqrt(250)),
      '--trials',
      '100',
      '--var-trials',
      '0.002',
      '--skew',
      '-3',
      '--kurtosis',
      '10',
      '--n-obs',
      '1250',
      '--json',
    )
    expect(run.status).toBe(0)
    expect(Object.keys(run.json)).toEqual(expect.arrayContaining(['dsr', 'sr0']))
    expect(run.json.dsr).toBeCloseTo(0.90039683444939034, 9)
    expect(run.json.sr0).toBeCloseTo(0.1132, 4)
    expect(run.json.periods_per_year).toBeNull()
  })

  it('psr reads a returns CSV and agrees with the library', () => {
    const returns = series(300, 0.002, 0.4)
    writeFileSync(join(work, 'returns.csv'), ['date,return', ...returns.map((r, t) => `d${t},${r}`)].join('\n'))
    const run = rigor('stats', 'psr', '--returns', 'returns.csv', '--benchmark', '0.05', '--json')
    expect(run.status).toBe(0)
    const estimate = estimateSharpe(returns)
    const expected = probabilisticSharpeRatio({
      sharpe: estimate.sharpe,
      benchmark: 0.05,
      nObs: 300,
      skewness: estimate.skewness,
      kurtosis: estimate.kurtosis,
    })
    expect(run.json.psr).toBeCloseTo(expected, 12)
    expect(run.json.n_obs).toBe(300)
  })

  it('psr prints the Sharpe Ratio Efficient Frontier example for humans', () => {
    const run = rigor(
      'stats',
      'psr',
      '--sharpe',
      '1.585',
      '--periods-per-year',
      '12',
      '--skew',
      '-2.448',
      '--kurtosis',
      '10.164',
      '--n-obs',
      '24',
    )
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/PSR 0\.9132/)
    expect(run.stdout).toMatch(/annualised at 12 periods a year/)
  })

  it('mintrl reports periods and years', () => {
    // SEF paper, Figure 8: SR 2 against 1 a year, daily normal returns -> about 2.73 years
    const run = rigor('stats', 'mintrl', '--sharpe', '2', '--benchmark', '1', '--periods-per-year', '250', '--json')
    expect(run.status).toBe(0)
    expect(run.json.mintrl_years).toBeCloseTo(2.7311878, 6)
    expect(run.json.mintrl).toBeCloseTo(2.7311878 * 250, 3)
  })

  it('sharpe gives the ratio and its standard error', () => {
    const run = rigor('stats', 'sharpe', '--returns', 'returns.csv', '--periods-per-year', '252', '--json')
    expect(run.status).toBe(0)
    const estimate = estimateSharpe(series(300, 0.002, 0.4))
    expect(run.json.sharpe_per_period).toBeCloseTo(estimate.sharpe, 12)
    expect(run.json.standard_error_per_period).toBeCloseTo(estimate.standardError, 12)
    expect(run.json.sharpe).toBeCloseTo(estimate.sharpe * Math.sqrt(252), 10)
  })

  it('pbo runs CSCV over a returns matrix', () => {
    const trials = Array.from({length: 6}, (_, n) => series(240, n === 0 ? 0.004 : 0, n))
    const lines = ['date,' + trials.map((_, n) => `trial${n}`).join(',')]
    for (let t = 0; t < 240; t++) lines.push(`d${t},` + trials.map((trial) => trial[t]).join(','))
    writeFileSync(join(work, 'matrix.csv'), lines.join('\n'))
    const run = rigor('stats', 'pbo', '--returns', 'matrix.csv', '--splits', '8', '--json')
    expect(run.status).toBe(0)
    expect(run.json.n_trials).toBe(6)
    expect(run.json.n_splits).toBe(8)
    expect(run.json.combinations).toBe(70)
    expect(run.json.logits).toHaveLength(70)
    expect(run.json.pbo).toBeGreaterThanOrEqual(0)
    expect(run.json.pbo).toBeLessThanOrEqual(1)
    expect(run.json.pbo).toBe(run.json.logits.filter((l: number) => l <= 0).length / 70)
  })

  it('pbo lowers the default splits for a short matrix and says so', () => {
    writeFileSync(
      join(work, 'short.csv'),
      ['a,b', '0.01,0.02', '-0.01,0.01', '0.02,-0.01', '0.00,0.03', '0.01,0.00', '0.03,0.01'].join('\n'),
    )
    const run = rigor('stats', 'pbo', '--returns', 'short.csv')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/allow at most 6 splits; using 6 instead of 16/)
  })

  it('exits 2 with the flag and the fix on bad input', () => {
    const run = rigor('stats', 'dsr', '--sharpe', 'abc', '--trials', '100', '--var-trials', '0.5', '--n-obs', '1250', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.type).toBe('InputError')
    expect(run.json.error.message).toContain('--sharpe')
    expect(run.json.error.fix).toBeTruthy()
  })

  // the formulas' names for their inputs (confidence, varianceOfTrialSharpes) were printed as the field, and in the fix
  it("exits 2 naming the flag, not the formula's name for it, and a fix that names the flag", () => {
    const error = (...args: string[]) => {
      const run = rigor('stats', ...args, '--json')
      expect(run.status, run.stdout).toBe(2)
      return run.json.error
    }
    expect(error('mintrl', '--sharpe', '0.1', '--confidence', '95')).toMatchObject({
      message: 'field "--confidence": must lie strictly between 0 and 1, got 95',
      fix: 'give --confidence as a probability such as 0.95',
    })
    expect(error('mintrl', '--sharpe', '0.1', '--confidence', '0.4').message).toMatch(/^field "--confidence": /)
    expect(error('psr', '--sharpe', '1', '--benchmark', '1e308', '--n-obs', '100').message).toMatch(/^field "--benchmark": /)
    // a variance of 1e10 a year at 1e-300 periods a year overflows per period: the overflow is the periods' doing
    expect(
      error('dsr', '--sharpe', '1', '--trials', '10', '--var-trials', '1e10', '--periods-per-year', '1e-300', '--n-obs', '100'),
    ).toMatchObject({
      message: 'field "--periods-per-year": at 1e-300 periods a year, --var-trials 10000000000 is Infinity per period',
      fix: 'give the number of return periods in a year, e.g. 252 for trading days or 12 for months',
    })
    // a figure read from --returns is named by the flag that gave it
    writeFileSync(join(work, 'losing.csv'), 'date,return\n2020-01-01,-0.01\n2020-01-02,0.01\n2020-01-03,-0.02\n2020-01-06,-0.01\n')
    expect(error('mintrl', '--returns', 'losing.csv').message).toMatch(/^field "--returns": the Sharpe ratio -[0-9.]+ does not exceed/)
  })

  it('exits 2 when excess kurtosis is given where plain kurtosis is meant', () => {
    const run = rigor('stats', 'psr', '--sharpe', '0.1', '--skew', '-1', '--kurtosis', '1.5', '--n-obs', '100')
    expect(run.status).toBe(2)
    // oclif wraps long error lines behind a " ›" gutter
    const text = run.stderr.replace(/[›\s]+/g, ' ')
    expect(text).toMatch(/field "--kurtosis": kurtosis 1\.5 is impossible with skewness -1/)
    expect(text).toMatch(/Fix: give plain kurtosis \(3 for a normal distribution\), not excess kurtosis/)
  })

  it('exits 2 for a returns CSV without a header row or with a number Number() reads but no one writes (0x10 is 16)', () => {
    writeFileSync(join(work, 'bare.csv'), '0.01\n0.03\n0.02\n')
    let run = rigor('stats', 'sharpe', '--returns', 'bare.csv', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toBe('bare.csv: line 1 holds numbers (0.01), not column names')
    writeFileSync(join(work, 'hex.csv'), 'date,return\n2020-01-01,0x10\n2020-01-02,0.03\n2020-01-03,0.02\n')
    run = rigor('stats', 'sharpe', '--returns', 'hex.csv', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toBe('hex.csv, field "return": line 2: "0x10" is not a number')
    writeFileSync(join(work, 'written.csv'), 'date,return\r\n2020-01-01,+0.01\r\n2020-01-02,.03\r\n2020-01-03, 2e-2\r\n')
    expect(rigor('stats', 'sharpe', '--returns', 'written.csv', '--json').json.n_obs).toBe(3)
  })

  it('exits 2 naming the returns file, and its column, when the series in it cannot give a figure', () => {
    writeFileSync(join(work, 'flat.csv'), 'date,return\n2020-01-01,0.01\n2020-01-02,0.01\n2020-01-03,0.01\n')
    let run = rigor('stats', 'sharpe', '--returns', 'flat.csv', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toBe(
      'flat.csv, field "return": the returns never vary, so their Sharpe ratio, skewness and kurtosis are undefined',
    )
    writeFileSync(join(work, 'single.csv'), 'date,pnl\n2020-01-01,0.01\n')
    run = rigor('stats', 'psr', '--returns', 'single.csv', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toBe('single.csv, field "pnl": needs at least 2 observations, got 1')
    writeFileSync(join(work, 'three.csv'), 'date,a,b\n2020-01-01,0.01,0.02\n2020-01-02,0.02,0.01\n2020-01-03,0.01,0.03\n')
    run = rigor('stats', 'pbo', '--returns', 'three.csv', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toBe('three.csv: needs at least 4 rows, got 3')
    // a flag's own complaint still names the flag, not the file
    writeFileSync(join(work, 'four.csv'), 'date,a,b\n2020-01-01,0.01,0.02\n2020-01-02,0.02,0.01\n2020-01-03,0.01,0.03\n2020-01-06,0,0.01\n')
    run = rigor('stats', 'pbo', '--returns', 'four.csv', '--splits', '3', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toMatch(/^field "--splits": must be even/)
  })

  it('exits 2 naming a missing returns file', () => {
    const run = rigor('stats', 'pbo', '--returns', 'nowhere.csv', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toMatch(/nowhere\.csv: no such file/)
  })

  it('exits 2 for a returns "file" that never ends (/dev/zero), where reading it whole ran out of memory (exit 134)', () => {
    const run = rigor('stats', 'sharpe', '--returns', '/dev/zero', '--json')
    expect(run.status).toBe(2)
    expect(run.json.error.message).toBe('/dev/zero: is larger than 256 MB, more than a CSV of returns can be')
  })
})
