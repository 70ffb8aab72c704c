import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import * as z from 'zod'
import {loadPrices, parsePrices} from '../../../src/core/backtest/prices.js'
import {readPriceTable} from '../../../src/core/data/price-file.js'
import {pricesProblem} from '../../helpers/prices.js'

const problem = pricesProblem

describe('parsePrices', () => {
  it('reads date,close', () => {
    const series = parsePrices('date,close\n2024-01-02,100\n2024-01-03,101.5\n', 'p.csv')
    expect(series.dates).toEqual(['2024-01-02', '2024-01-03'])
    expect([...series.close]).toEqual([100, 101.5])
    expect(series.open).toBeUndefined()
  })

  it('reads date,open,high,low,close,volume with any header case, a BOM and blank lines', () => {
    const text = '\uFEFFDate,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,1000\n\n2024-01-03,1.5,1.6,1.4,1.55,0\n'
    const series = parsePrices(text, 'p.csv')
    expect([...series.close]).toEqual([1.5, 1.55])
    expect([...series.high!]).toEqual([2, 1.6])
    expect([...series.volume!]).toEqual([1000, 0])
  })

  it('names the file, the column and the line of a bad value', () => {
    const error = problem('date,close\n2024-01-02,100\n2024-01-03,abc\n')
    expect(error.message).toBe('prices.csv, field "close": line 3: "abc" is not a finite number')
    expect(error.exitCode).toBe(2)
    expect(problem('date,close\n2024-01-02,100\n2024-01-03,\n').message).toMatch(/field "close": line 3: "" is empty/)
    expect(problem('date,close\n2024-01-02,100\n2024-01-03,-4\n').message).toMatch(/must be a positive price/)
    // finite prices orders of magnitude apart: a typo, whose return's square overflows (1e308 after 100)
    expect(problem('date,close\n2024-01-02,100\n2024-01-03,1e308\n').message).toBe(
      'prices.csv, field "close": line 3: "1e308" after 100 on the row before is a change of more than 1e+9 times in one period',
    )
    expect(problem('date,close\n2024-01-02,1e300\n2024-01-03,1e-300\n').message).toMatch(/line 3: "1e-300" after 1e\+300/)
    // a thousandfold move (an unadjusted split) is a price all the same
    expect([...parsePrices('date,close\n2024-01-02,1000\n2024-01-03,1\n', 'p.csv').close]).toEqual([1000, 1])
    expect(problem('date,close,volume\n2024-01-02,100,5\n2024-01-03,101,-1\n').message).toMatch(/field "volume": line 3/)
    expect(problem('date,close\n2024-01-02,100\nyesterday,101\n').message).toMatch(/field "date": line 3: "yesterday" is not a date/)
    // the line in the file, blank lines and a quoted field over two lines counted
    expect(problem('date,close,note\n\n2024-01-02,100,"two\nlines"\n\n2024-01-03,abc,x\n').message).toMatch(/field "close": line 6: "abc"/)
  })

  it('refuses a row with more cells than the header: an unquoted thousands separator split its price, read as 1', () => {
    const error = problem('date,close\n2024-01-02,998.5\n2024-01-03,1002.25\n2024-01-04,1,004.00\n')
    expect(error.message).toBe(
      'prices.csv: line 4 has 3 cells, the header 2 (date,close): a number written with a thousands separator is split in two',
    )
    expect(error.fix).toMatch(/without thousands separators \(1234\.50, not 1,234\.50\)/)
    // a trailing comma adds an empty cell, which holds nothing to misread
    expect([...parsePrices('date,close\n2024-01-02,100,\n2024-01-03,101,\n', 'p.csv').close]).toEqual([100, 101])
  })

  it('requires a date and a close column, two rows, and ascending dates', () => {
    expect(problem('day,close\n2024-01-02,1\n2024-01-03,2\n').message).toMatch(/no "date" column/)
    expect(problem('date,price\n2024-01-02,1\n2024-01-03,2\n').field).toBe('close')
    expect(problem('date,close\n2024-01-02,1\n').message).toMatch(/at least 2/)
    expect(problem('').message).toMatch(/is empty/)
    expect(problem('date,close\n2024-01-03,1\n2024-01-02,2\n').message).toMatch(/line 3: 2024-01-02 does not come after/)
    expect(problem('date,close\n2024-01-02,1\n2024-01-02,2\n').message).toMatch(/without duplicates/)
  })
})

describe('loadPrices', () => {
  it('reads a file and names it when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-prices-'))
    const file = join(dir, 'p.csv')
    writeFileSync(file, 'date,close\n2024-01-02,1\n2024-01-03,2\n')
    expect([...loadPrices(file).close]).toEqual([1, 2])
    expect(() => loadPrices(join(dir, 'missing.csv'))).toThrow(/missing\.csv: no such file/)
    rmSync(dir, {recursive: true, force: true})
  })
})

describe('price cells', () => {
  // the schema the cells were checked with before a hand-written check replaced it (for speed): same values, same messages
  // ... since made stricter: a cell Number() reads but that is not written in decimal (0x1f) is no price
  const numberCell = z
    .string()
    .trim()
    .min(1, {error: 'is empty', abort: true})
    .refine((text) => Number.isFinite(Number(text)), {error: 'is not a finite number', abort: true})
    .refine((text) => /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text), {error: 'is not a decimal number', abort: true})
    .transform((text) => Number(text))
  const reference = {
    close: numberCell.pipe(z.number().positive('must be a positive price')),
    volume: numberCell.pipe(z.number().nonnegative('must be a volume >= 0')),
  }
  const piece = fc.constantFrom('', ' ', '0', '1', '5', '.', '-', '+', 'e', 'E', 'x', '0x1f', 'Infinity', 'NaN', 'abc', '1e400', '\t')
  const cellText = fc.array(piece, {maxLength: 5}).map((parts) => parts.join(''))

  it('a close or volume cell reads as the zod schema did, or fails with its message', () => {
    fc.assert(
      fc.property(fc.constantFrom('close', 'volume') as fc.Arbitrary<'close' | 'volume'>, cellText, (column, text) => {
        // csv-parse keeps inner spaces and tabs; a cell with a comma or a quote is not one cell
        const csv = `date,close,volume\n2024-01-02,100,1\n2024-01-03,${column === 'close' ? text : '100'},${column === 'volume' ? text : '1'}\n`
        // the cell as the CSV reader hands it over (it trims)
        const table = readPriceTable(csv, 'p.csv')
        const raw = table.rows[1]![table.columns[column]!] ?? ''
        const expected = reference[column].safeParse(raw)
        let got: number | string
        try {
          const series = parsePrices(csv, 'p.csv')
          got = column === 'close' ? series.close[1]! : series.volume![1]!
        } catch (error) {
          got = (error as Error).message
        }
        // a close orders of magnitude from the row before's 100 is refused after the cell check (priceSeries)
        const offByMagnitudes = column === 'close' && expected.success && !(expected.data / 100 >= 1e-9 && expected.data / 100 <= 1e9)
        if (offByMagnitudes) expect(got).toMatch(/is a change of more than 1e\+9 times in one period$/)
        else if (expected.success) expect(got, JSON.stringify(text)).toBe(expected.data)
        else expect(got).toBe(`p.csv, field "${column}": line 3: ${JSON.stringify(raw)} ${expected.error.issues[0]!.message}`)
      }),
      {numRuns: 1000},
    )
  })

  it('a date cell is trimmed; an empty one and one that is no date fail with their message', () => {
    expect(parsePrices('date,close\n 2024-01-02 ,100\n2024-01-03,101\n', 'p.csv').dates[0]).toBe('2024-01-02')
    expect(problem('date,close\n2024-01-02,100\n  ,101\n').message).toBe('prices.csv, field "date": line 3: "" is empty')
    expect(problem('date,close\n2024-01-02,100\n2024-13-45,101\n').message).toBe(
      'prices.csv, field "date": line 3: "2024-13-45" is not a date (write YYYY-MM-DD, YYYYMMDD, an ISO datetime (2024-01-02T15:30:00Z) or a Unix timestamp (seconds or milliseconds))',
    )
  })
})
