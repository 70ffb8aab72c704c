import {describe, expect, it} from 'vitest'
import {parsePrices} from '../../src/core/backtest/prices.js'
import {pricesProblem} from '../helpers/prices.js'

const problem = pricesProblem

describe('price cells are decimal numbers', () => {
  it.each(['0x10', '0X1F', '0b11', '0o17'])('refuses %s, which Number() reads as a number, instead of trading on it', (cell) => {
    const error = problem(`date,close\n2024-01-02,100\n2024-01-03,${cell}\n`)
    expect(error.message).toBe(`prices.csv, field "close": line 3: "${cell}" is not a decimal number`)
    expect(error.exitCode).toBe(2)
    expect(problem(`date,open,close\n2024-01-02,100,100\n2024-01-03,${cell},100\n`).message).toMatch(/field "open": line 3/)
    expect(problem(`date,close,volume\n2024-01-02,100,1\n2024-01-03,100,${cell}\n`).message).toMatch(/field "volume": line 3/)
  })

  it('reads decimals as written: signs, a leading or trailing point, exponents', () => {
    const series = parsePrices('date,close\n2024-01-02,+100\n2024-01-03,.5e3\n2024-01-04,101.\n2024-01-05,1E2\n', 'p.csv')
    expect([...series.close]).toEqual([100, 500, 101, 100])
  })
})

describe('a bad price file says how to mend it', () => {
  it.each([
    ['an empty close', 'date,close\n2024-01-02,100\n2024-01-03,\n', /positive decimal number .*remove it/],
    ['a price with a thousands separator', 'date,close\n2024-01-02,100\n2024-01-03,"1,103.00"\n', /without thousands separators/],
    ['a quote left open', 'date,close\n2024-01-02,100\n2024-01-03,"101\n', /a quoted cell \("\.\.\."\) closes its quote/],
    ['a close of 0', 'date,close\n2024-01-02,100\n2024-01-03,0\n', /positive decimal number/],
    [
      'an empty open',
      'date,open,close\n2024-01-02,100,100\n2024-01-03,,101\n',
      /or leave the column out: the strategies read only the close/,
    ],
    ['a negative volume', 'date,close,volume\n2024-01-02,100,1\n2024-01-03,101,-1\n', /volume as a decimal number >= 0/],
    ['a date that is none', 'date,close\n2024-01-02,100\n2024-02-30,101\n', /write every date as YYYY-MM-DD/],
    ['dates out of order', 'date,close\n2024-01-03,100\n2024-01-02,101\n', /sort the rows oldest first/],
    [
      'intraday bars with the time in a column of its own',
      'date,time,close\n2024-01-02,10:00,1\n2024-01-02,11:00,2\n',
      /time of day goes in the date cell/,
    ],
    ['two symbols in one file', 'date,symbol,close\n2024-01-02,A,1\n2024-01-03,A,2\n2024-01-02,B,3\n', /one file per symbol/],
    ['a price off by orders of magnitude', 'date,close\n2024-01-02,100\n2024-01-03,1e12\n', /correct the price/],
    ['a single row', 'date,close\n2024-01-02,100\n', /one row per date/],
  ])('%s', (_, text, fix) => {
    expect(problem(text).fix).toMatch(fix)
  })
})
