import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {parseNumber} from '../../../src/cli/flags.js'
import {resolveSharpe, toUserUnits} from '../../../src/cli/stats-inputs.js'
import {readReturnsColumn, readReturnsMatrix} from '../../../src/core/stats/returns-csv.js'
import {estimateSharpe} from '../../../src/core/stats/sharpe.js'
import {thrownInputError} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'rigor-stats-csv-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function csv(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

describe('readReturnsColumn', () => {
  it('reads the column named "return"', () => {
    const file = csv('named.csv', 'date,return,position\n2024-01-02,0.01,1\n2024-01-03,-0.02,1\n2024-01-04,0.005,0\n')
    expect(readReturnsColumn(file)).toEqual({column: 'return', values: [0.01, -0.02, 0.005]})
  })

  it('falls back to the last entirely numeric column', () => {
    const file = csv('unnamed.csv', 'date,pnl,note\n2024-01-02,0.5,a\n2024-01-03,-0.25,b\n')
    expect(readReturnsColumn(file)).toEqual({column: 'pnl', values: [0.5, -0.25]})
  })

  it('never takes a date written as numbers (20240102, Unix seconds) for the returns', () => {
    expect(readReturnsColumn(csv('dates-last.csv', 'pnl,date\n0.01,20240102\n-0.02,20240103\n')).column).toBe('pnl')
    expect(readReturnsColumn(csv('unix-last.csv', 'pnl,Timestamp\n0.01,1704153600\n-0.02,1704240000\n')).column).toBe('pnl')
    expect(readReturnsMatrix(csv('unix-matrix.csv', 'time,fast,slow\n1704153600,0.01,0.02\n1704240000,0,0.01\n')).trials).toEqual([
      'fast',
      'slow',
    ])
  })

  it('names the file, column and line of a bad cell', () => {
    const file = csv('bad.csv', 'date,return\n2024-01-02,0.01\n2024-01-03,\n')
    const error = thrownInputError(() => readReturnsColumn(file))
    expect(error.message).toContain(file)
    expect(error.message).toMatch(/line 3: empty is not a number/)
    expect(error.field).toBe('return')
    expect(thrownInputError(() => readReturnsColumn(join(dir, 'missing.csv'))).message).toMatch(/no such file/)
    expect(thrownInputError(() => readReturnsColumn(csv('words.csv', 'a,b\nx,y\n'))).fix).toMatch(/"return" column/)
  })

  it('refuses a date given twice (a doubled row counts its period twice), and takes any order', () => {
    const doubled = csv('doubled.csv', 'date,return\n2024-01-02,0.01\n2024-01-03,-0.02\n2024-01-03,-0.02\n')
    const error = thrownInputError(() => readReturnsColumn(doubled))
    expect(error.message).toBe(`${doubled}, field "date": line 4: 2024-01-03 again (first on line 3)`)
    expect(error.fix).toMatch(/one row/)
    // order does not change a Sharpe ratio or its moments
    expect(readReturnsColumn(csv('any-order.csv', 'date,return\n2024-01-03,0.01\n2024-01-02,-0.02\n')).values).toEqual([0.01, -0.02])
  })
  it('names the line a bad cell is on in the file, past empty lines and quoted cells over several lines', () => {
    // csv-parse skips the empty lines and reads a quoted cell over two lines as one record: the record's index is no line number
    const blank = csv('blank-lines.csv', 'date,return\n\n2024-01-02,0.01\n\n2024-01-03,abc\n')
    expect(thrownInputError(() => readReturnsColumn(blank)).message).toBe(`${blank}, field "return": line 5: "abc" is not a number`)
    const doubled = csv('blank-doubled.csv', 'date,note,return\n2024-01-02,"two\nlines",0.01\n\n2024-01-02,x,0.02\n')
    expect(thrownInputError(() => readReturnsColumn(doubled)).message).toBe(
      `${doubled}, field "date": line 5: 2024-01-02 again (first on line 3)`,
    )
    const short = csv('blank-short.csv', 'date,return\n\n\n2024-01-02,0.01,5\n')
    expect(thrownInputError(() => readReturnsColumn(short)).message).toBe(`${short}: line 4 has 3 fields, the header has 2`)
    const unsorted = csv('blank-unsorted.csv', 'date,a,b\n2024-01-03,0.01,0.02\n\n2024-01-02,0.02,0.01\n')
    expect(thrownInputError(() => readReturnsMatrix(unsorted)).message).toMatch(/line 4: 2024-01-02 is older than 2024-01-03/)
  })
})

describe('readReturnsMatrix', () => {
  it('refuses a matrix without a header row, whose first period was read as the trial names and lost', () => {
    const bare = csv('m-bare.csv', '0.01,0.02\n-0.01,0\n0.03,-0.02\n')
    const error = thrownInputError(() => readReturnsMatrix(bare))
    expect(error.message).toBe(`${bare}: line 1 holds numbers (0.01,0.02), not column names`)
    expect(error.fix).toMatch(/header row, e\.g\. date,fast,slow/)
    // with its dates: 2024-01-02 was taken for the name of a date-less first column
    const dated = csv('m-bare-dated.csv', '2024-01-02,0.01,0.02\n2024-01-03,-0.01,0\n')
    expect(thrownInputError(() => readReturnsMatrix(dated)).message).toMatch(/line 1 holds numbers \(2024-01-02,0\.01,0\.02\)/)
    expect(thrownInputError(() => readReturnsColumn(dated)).message).toMatch(/line 1 holds numbers/)
  })

  it('orders the dates alike on every machine, and refuses a date no calendar has, which hid the order of its neighbours', () => {
    // a datetime without a zone is UTC, as a bare date is: east of UTC, 2024-01-02 01:00 was read as local time and came first
    const zoneless = csv('m-zoneless.csv', 'date,fast,slow\n2024-01-02,0.01,0.02\n2024-01-02 01:00,0.02,0.01\n2024-01-03,0.03,0\n')
    const zone = process.env.TZ
    try {
      process.env.TZ = 'Asia/Kolkata'
      expect(readReturnsMatrix(zoneless).rows).toHaveLength(3)
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
    // 2024-02-30 compared false both ways, so 2024-01-02 after 2024-01-05 went through
    const impossible = csv('m-impossible.csv', 'date,fast,slow\n2024-01-05,0.01,0.02\n2024-02-30,0.02,0.01\n2024-01-02,0.03,0\n')
    const error = thrownInputError(() => readReturnsMatrix(impossible))
    expect(error.message).toBe(`${impossible}, field "date": line 3: 2024-02-30 is not a date`)
    expect(error.fix).toMatch(/YYYY-MM-DD/)
  })

  it('reads one trial per column and ignores the date column', () => {
    const file = csv('matrix.csv', 'date,fast,slow\n2024-01-02,0.01,0.02\n2024-01-03,-0.01,0.00\n')
    expect(readReturnsMatrix(file)).toEqual({
      trials: ['fast', 'slow'],
      rows: [
        [0.01, 0.02],
        [-0.01, 0],
      ],
    })
  })

  it('refuses gaps', () => {
    const file = csv('gap.csv', 'date,fast,slow\n2024-01-02,0.01,NaN\n')
    expect(thrownInputError(() => readReturnsMatrix(file)).field).toBe('slow')
  })

  it('refuses a date given twice, and ISO dates out of order: CSCV cuts the rows into blocks of time', () => {
    const doubled = csv('m-doubled.csv', 'Date,fast,slow\n2024-01-02,0.01,0.02\n2024-01-02,0.01,0.02\n')
    expect(thrownInputError(() => readReturnsMatrix(doubled)).message).toBe(
      `${doubled}, field "Date": line 3: 2024-01-02 again (first on line 2)`,
    )
    const unsorted = csv('m-unsorted.csv', 'date,fast,slow\n2024-01-02,0.01,0.02\n2024-01-04,0,0\n2024-01-03,0.01,0.02\n')
    const error = thrownInputError(() => readReturnsMatrix(unsorted))
    expect(error.message).toBe(`${unsorted}, field "date": line 4: 2024-01-03 is older than 2024-01-04 on the line before`)
    expect(error.fix).toMatch(/oldest first/)
    // dates in another format are not compared, only told apart
    expect(readReturnsMatrix(csv('m-other.csv', 'date,fast,slow\n03/01/2024,0.01,0.02\n02/01/2024,0,0\n')).rows).toHaveLength(2)
  })
})

describe('stats command inputs', () => {
  it('parses numbers strictly and names the flag', () => {
    expect(parseNumber('-3', '--skew')).toBe(-3)
    expect(thrownInputError(() => parseNumber('abc', '--sharpe')).field).toBe('--sharpe')
    expect(() => parseNumber('', '--sharpe')).toThrow(/not a decimal number/)
    expect(() => parseNumber('2.5', '--trials', {integer: true})).toThrow(/whole number/)
    for (const odd of ['0x10', '1e1', '0o7', '2.0', '', ' '])
      expect(() => parseNumber(odd, '--parallel', {integer: true}), odd).toThrow(/whole number/)
    // written in digits but past what a double counts exactly: said to be too large
    expect(() => parseNumber('9007199254740993', '--parallel', {integer: true})).toThrow(/"9007199254740993" is too large/)
    expect(parseNumber('-3', '--offset', {integer: true})).toBe(-3)
    expect(parseNumber(' 12 ', '--parallel', {integer: true})).toBe(12)
    expect(parseNumber('1e-3', '--sharpe')).toBe(0.001)
    for (const odd of ['0x10', 'Infinity', '.']) expect(() => parseNumber(odd, '--sharpe'), odd).toThrow(/not a decimal number/)
    expect(() => parseNumber('1e999', '--sharpe')).toThrow(/"1e999" is too large/)
    expect(() => parseNumber('0', '--periods-per-year', {above: 0})).toThrow(/greater than 0/)
    expect(() => parseNumber('7', '--parallel', {max: 4})).toThrow(/at most 4/)
  })

  it('converts annualised Sharpe ratios to per period and back', () => {
    const resolved = resolveSharpe({sharpe: 2.5, nObs: 1250}, 250)
    expect(resolved.sharpePerPeriod).toBeCloseTo(2.5 / Math.sqrt(250), 14)
    expect(resolved.assumedNormal).toBe(true)
    expect(toUserUnits(resolved.sharpePerPeriod, 250)).toBeCloseTo(2.5, 14)
  })

  it('takes everything from --returns, and refuses figures that contradict it', () => {
    const file = csv('series.csv', 'return\n0.01\n-0.02\n0.015\n0.003\n0.007\n')
    const resolved = resolveSharpe({returns: 'series.csv'}, undefined, dir)
    const estimate = estimateSharpe([0.01, -0.02, 0.015, 0.003, 0.007])
    expect(resolved).toMatchObject({sharpePerPeriod: estimate.sharpe, nObs: 5, skewness: estimate.skewness, kurtosis: estimate.kurtosis})
    expect(thrownInputError(() => resolveSharpe({returns: file, sharpe: 1}, undefined)).message).toMatch(/--sharpe cannot be combined/)
  })
})
