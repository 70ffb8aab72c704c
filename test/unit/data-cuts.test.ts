import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {holdoutStart, parseDateCell, readDatedTable, type DatedTable, type HoldoutCut} from '../../src/core/data/price-file.js'
import {InputError} from '../../src/core/errors.js'
import {cutTable, TableCache} from '../../src/core/state/data-cuts.js'

const day = (t: number) => new Date(Date.UTC(2026, 0, 1) + t * 86_400_000).toISOString().slice(0, 10)
const table = (rows: number): DatedTable =>
  readDatedTable(`Date,value\n${Array.from({length: rows}, (_, t) => `${day(t)},${t}`).join('\n')}\n`, 'x.csv')

describe('cuts of a dated table', () => {
  it('keep the rows before the earliest cut, whatever the order of the cuts', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 40}),
        fc.array(
          fc.oneof(
            fc.integer({min: -2, max: 45}).map((t) => ({from: day(t)})),
            fc.double({min: 0.05, max: 0.95, noNaN: true}).map((fraction) => ({fraction})),
          ),
          {minLength: 1, maxLength: 3},
        ),
        (rows, cuts) => {
          const t = table(rows)
          const kept = cutTable(t, cuts).rows.length
          const each = cuts.map((cut) => cutTable(t, [cut]).rows.length)
          expect(kept).toBe(Math.min(...each))
          // a date cut keeps exactly the rows dated before it
          for (const cut of cuts)
            if ('from' in cut) expect(cutTable(t, [cut]).rows.length).toBe(t.rows.filter((r) => r[0]! < cut.from).length)
        },
      ),
    )
  })
})

describe('the tables an audit keeps while it cuts them', () => {
  it('reads each once for its uses, keeps at most the budget (the first read), and forgets each after its last use', async () => {
    const reads: string[] = []
    const cache = new TableCache(3, 25)
    const take = (oid: string) =>
      cache.take(oid, async () => {
        reads.push(oid)
        return table(10)
      })
    // three dates, one after another over three files: the first two fit in 25 rows, the third does not
    for (let date = 0; date < 3; date++) {
      for (const oid of ['a', 'b', 'c']) await take(oid)
      if (date === 0) expect(cache.held).toEqual({tables: 2, rows: 20})
    }
    expect(reads).toEqual(['a', 'b', 'c', 'c', 'c'])
    expect(cache.held).toEqual({tables: 0, rows: 0})
  })

  it('a file that cannot be read rejects for every taker, and is not held against the budget', async () => {
    const cache = new TableCache(2, 25)
    const failing = () => Promise.reject(new Error('no date column'))
    await expect(cache.take('bad', failing)).rejects.toThrow('no date column')
    expect(cache.held.rows).toBe(0)
    await expect(cache.take('bad', failing)).rejects.toThrow('no date column')
    expect(cache.held).toEqual({tables: 0, rows: 0})
  })
})

describe('the dates a cut reads', () => {
  const utc = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d)

  it('YYYYMMDD is a calendar day at UTC midnight, like YYYY-MM-DD; eight digits that are no day are no date', () => {
    expect(parseDateCell('20180102')).toBe(utc(2018, 1, 2))
    expect(parseDateCell(' 20180102 ')).toBe(parseDateCell('2018-01-02'))
    expect(parseDateCell('20240229')).toBe(utc(2024, 2, 29))
    for (const bad of ['20181340', '20180230', '20230229', '20180001', '20180100', '2018012']) expect(parseDateCell(bad), bad).toBeNaN()
    // nine digits and more stay Unix timestamps
    expect(parseDateCell('1514851200')).toBe(utc(2018, 1, 2))
  })

  it('YYYY-MM-DD must be a day the month has, as YYYYMMDD: 2018-02-30 is no date, not March 2nd', () => {
    expect(parseDateCell('2024-02-29')).toBe(utc(2024, 2, 29))
    expect(parseDateCell('2018-04-30T10:00:00Z')).toBe(Date.UTC(2018, 3, 30, 10))
    for (const bad of ['2018-02-30', '2023-02-29', '2018-04-31', '2018-06-31T10:00:00Z', '2018-11-31 09:30'])
      expect(parseDateCell(bad), bad).toBeNaN()
  })

  const csv = (dates: string[]) => `date,close\n${dates.map((d, i) => `${d},${100 + i}`).join('\n')}\n`
  const problem = (dates: string[], cut: HoldoutCut): InputError => {
    try {
      holdoutStart(readDatedTable(csv(dates), 'p.csv'), cut)
    } catch (error) {
      if (error instanceof InputError) return error
      throw error
    }
    throw new Error('no error')
  }
  const days = (n: number) => Array.from({length: n}, (_, t) => day(t).replaceAll('-', ''))

  it('a date cut of YYYYMMDD rows seals the rows dated on or after it', () => {
    const table = readDatedTable(csv(days(10)), 'p.csv')
    expect(holdoutStart(table, {from: day(7)})).toBe(7)
    expect(cutTable(table, [{from: day(7)}]).rows.at(-1)![0]).toBe(days(7)[6])
  })

  it('a cell that is no date fails the cut, by date or by fraction, naming the file, the line and the field', () => {
    const dates = [...days(5), '20181340', ...days(10).slice(5)]
    for (const cut of [{from: day(8)}, {fraction: 0.2}]) {
      const error = problem(dates, cut)
      expect(error.message).toBe('p.csv, field "date": line 7: "20181340" is not a date, so the file cannot be cut by date')
      expect(error.fix).toContain('YYYYMMDD')
    }
    expect(problem(['2026-01-01', ''], {fraction: 0.5}).message).toContain('line 3: "" is not a date')
  })

  it('a cut reads only the spellings it documents: others would be read in the machine’s time zone, or as no day at all', () => {
    for (const [other, line] of [
      ['Jan 1 2019', 3],
      ['2019/01/01', 3],
      ['201901', 3],
      ['2019', 3],
    ] as const)
      expect(problem(['2018-12-31', other, '2019-01-02'], {from: '2019-01-01'}).message, other).toContain(
        `line ${line}: "${other}" is not a date`,
      )
    // the documented ones, zones included, are read as UTC wherever the cut runs
    const table = readDatedTable(csv(['2018-12-31T23:00:00-02:00', '1546387200', '20190102']), 'p.csv')
    expect(holdoutStart(table, {from: '2019-01-01'})).toBe(0)
  })

  it('rows newest first fail the cut; rows of one date may follow one another', () => {
    const error = problem([...days(10)].reverse(), {fraction: 0.2})
    expect(error.message).toBe(
      `p.csv, field "date": line 3: ${days(10)[8]} comes before the previous row's date (${days(10)[9]}); a file is cut by date only when its rows are oldest first`,
    )
    expect(error.fix).toContain('sort the rows oldest first')
    expect(problem(['2026-01-01', '2026-01-03', '2026-01-02', '2026-01-04'], {from: '2026-01-04'}).message).toContain('line 4:')
    const twoPerDay = readDatedTable(csv(days(5).flatMap((d) => [d, d])), 'p.csv')
    expect(holdoutStart(twoPerDay, {from: day(3)})).toBe(6)
  })

  it('a fraction cut never splits the rows of one date: it moves back to the first row of that date', () => {
    // 10 rows, 0.2 of them: the cut falls at row 8, inside the three rows of day 6 (rows 7 to 9)
    const dates = [...days(7), days(7)[6]!, days(7)[6]!, days(8)[7]!]
    expect(holdoutStart(readDatedTable(csv(dates), 'p.csv'), {fraction: 0.2})).toBe(6)
    // two rows a date: the cut lands on a date's first row and stays
    expect(holdoutStart(readDatedTable(csv(days(5).flatMap((d) => [d, d])), 'p.csv'), {fraction: 0.2})).toBe(8)
    // every row on one date: no research row is left
    const error = problem(Array(5).fill('2026-01-01'), {fraction: 0.2})
    expect(error.message).toContain('leaves no research rows')
    expect(error.field).toBe('date')
  })
})
