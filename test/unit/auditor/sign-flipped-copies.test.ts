import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import {describe, expect, it} from 'vitest'
import {priceSeries} from '../../../src/core/backtest/prices.js'
import {flippedSigns, returnAlterations} from '../../../src/core/auditor/data-variants.js'
import {flippedDates, permutedTable, movedDates} from '../../../src/core/auditor/permuted-data.js'
import {readDatedTable, readPriceTable} from '../../../src/core/data/price-file.js'

const day = (t: number) => new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10)
const ROWS = 1500

/** Prices whose |returns| cluster (log-volatility AR(1)), drifting up, seeded. */
function clustered(seed: number): string {
  const rng = mersenne(seed)
  const uniform = () => (unsafeUniformIntDistribution(1, 2 ** 30, rng) - 0.5) / 2 ** 30
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  let level = 0
  let close = 100
  const lines = ['date,close']
  for (let t = 0; t < ROWS; t++) {
    level = 0.97 * level + 0.25 * normal()
    if (t > 0) close *= 1 + 0.0005 + 0.01 * Math.exp(level) * normal()
    lines.push(`${day(t)},${close.toFixed(6)}`)
  }
  return `${lines.join('\n')}\n`
}

const returnsOf = (close: ArrayLike<number>) => Array.from({length: close.length - 1}, (_, i) => close[i + 1]! / close[i]! - 1)
const meanOf = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length
/** lag-1 autocorrelation of |x - mean|: what a runner measures to tell real prices from a shuffled copy */
function clustering(x: number[]): number {
  const m = meanOf(x)
  const a = x.map((v) => Math.abs(v - m))
  const am = meanOf(a)
  let num = 0
  let den = 0
  for (let i = 0; i < a.length; i++) {
    den += (a[i]! - am) ** 2
    if (i > 0) num += (a[i]! - am) * (a[i - 1]! - am)
  }
  return num / den
}

describe('copies with flipped signs', () => {
  const table = readPriceTable(clustered(5), 'vol.csv')
  const series = priceSeries(table)
  const real = returnsOf(series.close)
  const mean = meanOf(real)
  const alter = returnAlterations(table, series)

  it('keep each move about the mean at its size and in its place, with a coin for its sign, and the mean on average', () => {
    const copy = returnsOf(alter({signs: 7}).series!.close)
    const signs = flippedSigns(real.length, 7)
    for (let i = 0; i < real.length; i++) expect(copy[i]! - mean).toBeCloseTo(signs[i]! * (real[i]! - mean), 8)
    // a coin: about half of each, and another seed draws other signs
    const ups = [...signs].filter((s) => s === 1).length
    expect(Math.abs(ups - real.length / 2)).toBeLessThan(4 * Math.sqrt(real.length / 4))
    expect([...flippedSigns(real.length, 8)]).not.toEqual([...signs])
    // the mean of the copy's returns, over many copies, is the real one
    const means = Array.from({length: 40}, (_, s) => meanOf(returnsOf(alter({signs: 100 + s}).series!.close)))
    expect(Math.abs(meanOf(means) - mean)).toBeLessThan(0.0002)
  })

  it('keep the volatility clustering a shuffled copy loses, and a demeaned copy has a mean of 0', () => {
    expect(clustering(real)).toBeGreaterThan(0.15)
    for (const s of [1, 2, 3]) {
      expect(clustering(returnsOf(alter({signs: s}).series!.close))).toBeCloseTo(clustering(real), 2)
      expect(Math.abs(clustering(returnsOf(alter({seed: s}).series!.close)))).toBeLessThan(0.08)
      expect(Math.abs(meanOf(returnsOf(alter({signs: s, demean: true}).series!.close)))).toBeLessThan(1e-12)
    }
  })

  it('flip another price file by the same coin on the same date, move no date, and leave a value file as it is', () => {
    const own = readPriceTable(clustered(6).split('\n').slice(0, 30).join('\n'), 'own.csv')
    const dates = own.rows.map((r) => r[0]!)
    const p = {dates, signs: 11}
    for (const [to, from] of movedDates(p)) expect(to).toBe(from)
    const bench = readDatedTable(clustered(9).split('\n').slice(0, 30).join('\n'), 'bench.csv')
    const flipped = flippedDates(p)!
    const copy = permutedTable(bench, movedDates(p), false, flipped)
    const b = returnsOf(bench.rows.map((r) => Number(r[1])))
    const c = returnsOf(copy.rows.map((r) => Number(r[1])))
    const bm = meanOf(b)
    const signs = flippedSigns(dates.length - 1, 11)
    for (let i = 0; i < b.length; i++) expect(c[i]! - bm).toBeCloseTo(signs[i]! * (b[i]! - bm), 8)
    const values = readDatedTable(`date,value\n${dates.map((d, t) => `${d},${t}`).join('\n')}\n`, 'values.csv')
    expect(permutedTable(values, movedDates(p), false, flipped).rows).toEqual(values.rows)
  })
})
