import {describe, expect, it} from 'vitest'
import {priceSeries} from '../../../src/core/backtest/prices.js'
import {returnAlterations, shuffledOrder} from '../../../src/core/auditor/data-variants.js'
import {movedDates, permutationAlteration, permutedTable, permutes, type Permutation} from '../../../src/core/auditor/permuted-data.js'
import {parseDateCell, readDatedTable, readPriceTable} from '../../../src/core/data/price-file.js'

const day = (t: number) => new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10)
/** the node's own data: 12 days of prices */
const OWN = readPriceTable(
  `date,close\n${Array.from({length: 12}, (_, t) => `${day(t)},${(100 * 1.01 ** t * (1 + 0.02 * Math.sin(t))).toFixed(4)}`).join('\n')}\n`,
  'own.csv',
)
const OWN_DATES = OWN.rows.map((r) => r[0]!)
const SEED = 1003
const closeOf = (rows: string[][], c: number) => rows.map((r) => Number(r[c]))

describe('one permutation of dates, for the own data and every other file', () => {
  it("is the order in which the own copy takes its returns (returnAlterations' copies, demeaned or not)", () => {
    const series = priceSeries(OWN)
    const real = Array.from(series.close.slice(1), (c, i) => c / series.close[i]! - 1)
    const mean = real.reduce((a, b) => a + b, 0) / real.length
    const order = shuffledOrder(real.length, SEED)
    expect([...order].sort((a, b) => a - b)).toEqual(real.map((_, i) => i))
    expect([...order]).not.toEqual(real.map((_, i) => i))
    for (const demean of [false, true]) {
      const copy = returnAlterations(OWN, series)({seed: SEED, demean}).series!.close
      for (let i = 0; i < real.length; i++) expect(copy[i + 1]! / copy[i]! - 1).toBeCloseTo(real[order[i]!]! - (demean ? mean : 0), 9)
    }
  })

  it('moves each own date d(i+1) to d(order[i]+1); no seed moves nothing; neither seed nor demeaning is no permutation', () => {
    const order = shuffledOrder(OWN_DATES.length - 1, SEED)
    const moved = movedDates({dates: OWN_DATES, seed: SEED})
    expect(moved.size).toBe(OWN_DATES.length - 1)
    for (let i = 0; i < order.length; i++)
      expect(moved.get(parseDateCell(OWN_DATES[i + 1]!))).toBe(parseDateCell(OWN_DATES[order[i]! + 1]!))
    for (const [to, from] of movedDates({dates: OWN_DATES, demean: true})) expect(to).toBe(from)
    expect(permutes({dates: OWN_DATES})).toBe(false)
    expect(permutes({dates: OWN_DATES, demean: true})).toBe(true)
    expect(permutes({dates: OWN_DATES, seed: 0})).toBe(true)
    expect(permutes(undefined)).toBe(false)
  })
})

describe('another price file, permuted along the own data', () => {
  // the benchmark: one day before the own data starts, the own day 4 missing, an extra day between own days 7 and 8
  // (a datetime spelling of the dates: matched by time, not text), open and a volume column
  const benchDays = [
    '2023-12-31',
    ...OWN_DATES.filter((_, t) => t !== 4).flatMap((d) => (d === OWN_DATES[7] ? [d, `${d}T12:00:00Z`] : [d])),
  ]
  const bench = readDatedTable(
    `Date,Open,Close,Volume\n${benchDays.map((d, j) => `${d},${(50 + j * 0.7 + (j % 3)) * 0.99},${50 + j * 0.7 + (j % 3)},${1000 + j}`).join('\n')}\n`,
    'bench.csv',
  )
  const closes = closeOf(bench.rows, 2)
  const times = bench.rows.map((r) => parseDateCell(r[0]!))
  /** the benchmark's real return ending at `time` (undefined: no row there, or its first row) */
  const realReturn = (time: number) => {
    const j = times.indexOf(time)
    return j > 0 ? closes[j]! / closes[j - 1]! - 1 : undefined
  }

  it('takes at each own date d(i+1) its own return ending at d(order[i]+1), demeaned; 0 where it has no such row, and on dates the own data lacks', () => {
    const p: Permutation = {dates: OWN_DATES, seed: SEED, demean: true}
    const moved = movedDates(p)
    const drawn = [...moved.values()].map(realReturn).filter((r): r is number => r !== undefined)
    const mean = drawn.reduce((a, b) => a + b, 0) / drawn.length
    const copy = permutedTable(bench, moved, true)
    const copied = closeOf(copy.rows, 2)
    // rebuilt from its first price; dates, volumes and the header unchanged
    expect(copied[0]).toBe(closes[0])
    expect(copy.header).toEqual(bench.header)
    expect(copy.rows.map((r) => [r[0], r[3]])).toEqual(bench.rows.map((r) => [r[0], r[3]]))
    let zeros = 0
    for (let j = 1; j < copied.length; j++) {
      const source = moved.get(times[j]!)
      const real = source === undefined ? undefined : realReturn(source)
      const expected = real === undefined ? 0 : real - mean
      if (expected === 0) zeros++
      expect(copied[j]! / copied[j - 1]! - 1).toBeCloseTo(expected, 9)
      // the open keeps its ratio to the close
      expect(Number(copy.rows[j]![1]) / copied[j]!).toBeCloseTo(Number(bench.rows[j]![1]) / closes[j]!, 9)
    }
    // the own first date, the extra intraday row, and the own date whose source the benchmark lacks (its day 4, or its
    // first row) each take 0; the own day 4 has no benchmark row to take anything
    expect(zeros).toBeGreaterThanOrEqual(2)
    // the original is untouched
    expect(closeOf(bench.rows, 2)).toEqual(closes)
  })

  it('without a seed: its own returns in their own order (less their mean when demeaned), 0 on the dates the own data lacks', () => {
    const moved = movedDates({dates: OWN_DATES})
    const drawn = [...moved.values()].map(realReturn).filter((r): r is number => r !== undefined)
    for (const demean of [true, false]) {
      const mean = demean ? drawn.reduce((a, b) => a + b, 0) / drawn.length : 0
      const copy = closeOf(permutedTable(bench, moved, demean).rows, 2)
      for (let j = 1; j < copy.length; j++) {
        const own = moved.has(times[j]!)
        expect(copy[j]! / copy[j - 1]! - 1).toBeCloseTo(own ? (realReturn(times[j]!) ?? 0) - mean : 0, 9)
      }
    }
  })

  it('a shuffled benchmark stays aligned with the shuffled own data: its return on a day is the same real day as the own one', () => {
    // a benchmark that is the own asset itself: its copy is the own copy
    const series = priceSeries(OWN)
    const own = returnAlterations(OWN, series)({seed: SEED, demean: true}).series!.close
    const copy = closeOf(permutedTable(OWN, movedDates({dates: OWN_DATES, seed: SEED, demean: true}), true).rows, 1)
    copy.forEach((c, t) => expect(c).toBeCloseTo(own[t]!, 6))
  })
})

describe('another dated file without prices (date,value), permuted along the own data', () => {
  // the own day 2 missing; a row on a date the own data does not have; an undated row
  const values = readDatedTable(
    `date,value,note\n${OWN_DATES.filter((_, t) => t !== 2)
      .map((d, j) => `${d},${j * 10},n${j}`)
      .join('\n')}\n2030-01-01,-1,later\nnot a date,-2,x\n`,
    'macro.csv',
  )

  it('gives the row dated d(i+1) the other cells of the row dated d(order[i]+1); other rows, and those with no source, stay', () => {
    const order = shuffledOrder(OWN_DATES.length - 1, SEED)
    const copy = permutedTable(values, movedDates({dates: OWN_DATES, seed: SEED, demean: true}), true)
    const byDate = (rows: string[][]) => new Map(rows.map((r) => [r[0]!, r]))
    const real = byDate(values.rows)
    const shown = byDate(copy.rows)
    expect(copy.rows.map((r) => r[0])).toEqual(values.rows.map((r) => r[0]))
    for (let i = 0; i < order.length; i++) {
      const target = OWN_DATES[i + 1]!
      const source = real.get(OWN_DATES[order[i]! + 1]!)
      if (!real.has(target)) continue
      expect(shown.get(target)).toEqual(source ? [target, ...source.slice(1)] : real.get(target))
    }
    // the first own date, the later date and the undated row: as they were
    for (const d of [OWN_DATES[0]!, '2030-01-01', 'not a date']) expect(shown.get(d)).toEqual(real.get(d))
    // a real shuffle: some row took another's values
    expect(copy.rows.some((r, j) => r[1] !== values.rows[j]![1])).toBe(true)
  })
})

describe('the alteration a sealed-data overlay applies', () => {
  it('is named by its seed, demeaning and dates, and prepares each table once however many copies are made', () => {
    const prepared = new WeakMap()
    const a = permutationAlteration({dates: OWN_DATES, seed: 1, demean: true}, prepared)
    const b = permutationAlteration({dates: OWN_DATES, seed: 2, demean: true}, prepared)
    const c = permutationAlteration({dates: OWN_DATES.slice(0, 11), seed: 1, demean: true}, prepared)
    expect(new Set([a.tag, b.tag, c.tag]).size).toBe(3)
    const whole = readDatedTable(priceText(OWN), 'bench.csv')
    const cut = {...whole, rows: whole.rows.slice(0, 10)}
    const first = a.apply(cut, whole)
    expect(first.rows).toHaveLength(10)
    const entry = prepared.get(whole)
    expect(entry).toBeDefined()
    b.apply({...whole, rows: whole.rows.slice(0, 10)}, whole)
    expect(prepared.get(whole)).toBe(entry)
    // another cut of the same table is prepared again
    expect(a.apply(whole, whole).rows).toHaveLength(12)
    expect(prepared.get(whole)).not.toBe(entry)
  })
})

const priceText = (table: {header: string[]; rows: string[][]}) => [table.header, ...table.rows].map((r) => r.join(',')).join('\n')
