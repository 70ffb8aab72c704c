import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {readDatedTable, type DatedTable} from '../../src/core/data/price-file.js'
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
