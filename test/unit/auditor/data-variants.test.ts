import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {priceSeries, seriesPrefix, type PriceSeries} from '../../../src/core/backtest/prices.js'
import {readPriceTable, truncatePriceTable} from '../../../src/core/data/price-file.js'
import {differs, returnAlterations, twelveDigits} from '../../../src/core/auditor/data-variants.js'

// headers the auditor meets: close only, OHLCV, an adjusted close beside the close (the return column), any order
const HEADERS = [
  ['date', 'close'],
  ['Date', 'Open', 'High', 'Low', 'Close', 'Volume'],
  ['date', 'close', 'Adj Close', 'volume'],
  ['timestamp', 'low', 'adj_close', 'high', 'open', 'close'],
]

/** A valid price file: ascending days, positive prices of any magnitude, volumes >= 0. */
const priceText = fc
  .record({
    header: fc.constantFrom(...HEADERS),
    rows: fc.integer({min: 2, max: 40}),
    start: fc.double({min: 1e-3, max: 1e6, noNaN: true}),
    steps: fc.array(fc.double({min: -0.5, max: 0.5, noNaN: true}), {minLength: 40, maxLength: 40}),
    spread: fc.array(fc.double({min: 0.5, max: 1.5, noNaN: true}), {minLength: 40, maxLength: 40}),
  })
  .map(({header, rows, start, steps, spread}) => {
    let price = start
    const lines = [header.join(',')]
    for (let t = 0; t < rows; t++) {
      price *= 1 + steps[t]!
      const day = new Date(Date.UTC(2020, 0, 1 + t)).toISOString().slice(0, 10)
      const cells = header.map((name, i) =>
        i === 0 ? day : /vol/i.test(name) ? String(Math.round(spread[t]! * 1000)) : String(price * (1 + (i % 3) * 0.01 * spread[t]!)),
      )
      lines.push(cells.join(','))
    }
    return lines.join('\n')
  })

const plain = (s: PriceSeries) => JSON.parse(JSON.stringify(s, (_, v) => (v instanceof Float64Array ? [...v] : v)))

describe('altered copies of price data', () => {
  it('carry exactly the numbers their own table reads as, whatever the header (the kit runs on them instead of the text)', () => {
    fc.assert(
      fc.property(priceText, fc.option(fc.integer({min: 0, max: 2 ** 31}), {nil: undefined}), fc.boolean(), (text, seed, demean) => {
        const table = readPriceTable(text, 'p.csv')
        const series = priceSeries(table)
        const copy = returnAlterations(table, series)({seed, demean})
        expect(copy.series).toBeDefined()
        expect(plain(copy.series!)).toEqual(plain(priceSeries(copy.table())))
        // the copy's table is the original's but for its price cells, 12 significant digits each
        const copied = copy.table()
        expect(copied.header).toEqual(table.header)
        expect(copied.rows.map((r) => r[table.columns.date])).toEqual(table.rows.map((r) => r[table.columns.date]))
        for (const row of copied.rows) for (const c of table.columns.prices) expect(row[c]).toMatch(/^\d+(\.\d+)?(e[+-]\d+)?$/)
        expect(differs(copy, series)).toBe(differs({file: 'p.csv', table: copy.table}, series))
      }),
      {numRuns: 150},
    )
  })

  it('leave the original table untouched and tell a changed copy from an unchanged one', () => {
    const text = 'date,close\n2024-01-02,100\n2024-01-03,110\n2024-01-04,99\n2024-01-05,105\n'
    const table = readPriceTable(text, 'p.csv')
    const series = priceSeries(table)
    const alter = returnAlterations(table, series)
    expect(differs(alter({}), series)).toBe(false)
    const shuffled = alter({seed: 1000, demean: true})
    expect(differs(shuffled, series)).toBe(true)
    expect(table.rows.map((r) => r[1])).toEqual(['100', '110', '99', '105'])
    // rebuilt from the first price: the copy starts where the data starts
    expect(shuffled.series!.close[0]).toBe(100)
  })

  it('have no numbers when a price would compound to 0 (the kit then reports the bad cell from the text)', () => {
    // a billionfold rise and its fall: demeaned, the rise is half a billion and the fall below -100%
    const table = readPriceTable('date,close\n2024-01-02,1\n2024-01-03,1e9\n2024-01-04,1\n', 'p.csv')
    const copy = returnAlterations(table, priceSeries(table))({demean: true})
    expect(copy.series).toBeUndefined()
    expect(() => priceSeries(copy.table())).toThrow(/positive price|finite number/)
  })
})

describe('seriesPrefix', () => {
  it('is what the table cut at the same row reads as', () => {
    fc.assert(
      fc.property(priceText, fc.integer({min: 0, max: 40}), (text, rows) => {
        const table = readPriceTable(text, 'p.csv')
        const prefix = seriesPrefix(priceSeries(table), rows)
        const cut = truncatePriceTable(table, rows)
        if (cut.rows.length < 2) expect(prefix).toBeUndefined()
        else expect(plain(prefix!)).toEqual(plain(priceSeries(cut)))
      }),
      {numRuns: 100},
    )
  })
})

describe('twelveDigits', () => {
  const written = (x: number) => Number(x.toPrecision(12))

  it('is the number 12 significant digits read back as, for doubles of every size', () => {
    fc.assert(
      fc.property(fc.double({min: 1e-15, max: 1e15, noNaN: true}), (x) => {
        expect(twelveDigits(x)).toBe(written(x))
      }),
      {numRuns: 20_000},
    )
  })

  it('near a half of the last digit, near powers of ten, and at the edges of its fast range', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1e11, max: 1e12 - 1}),
        fc.integer({min: -12, max: 12}),
        fc.integer({min: -4, max: 4}),
        (digits, exponent, ulps) => {
          // (digits + 1/2) * 10^exponent, nudged by a few units in the last place either way
          let x = (digits + 0.5) * 10 ** exponent
          for (let i = 0; i < Math.abs(ulps); i++) x = ulps > 0 ? nextUp(x) : nextDown(x)
          expect(twelveDigits(x)).toBe(written(x))
        },
      ),
      {numRuns: 20_000},
    )
    for (let e = -13; e <= 13; e++)
      for (const x of [10 ** e, nextUp(10 ** e), nextDown(10 ** e), 9.999999999995 * 10 ** e, 9.9999999999949 * 10 ** e])
        expect(twelveDigits(x), String(x)).toBe(written(x))
  })
})

const view = new DataView(new ArrayBuffer(8))
/** the next double above (below) a positive finite x */
function nextUp(x: number): number {
  view.setFloat64(0, x)
  view.setBigUint64(0, view.getBigUint64(0) + 1n)
  return view.getFloat64(0)
}
function nextDown(x: number): number {
  view.setFloat64(0, x)
  view.setBigUint64(0, view.getBigUint64(0) - 1n)
  return view.getFloat64(0)
}
