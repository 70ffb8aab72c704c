import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parsePrices} from '../../../src/core/backtest/prices.js'
import {businessDays, generatePrices, MARKET_MODELS, pricesToCsv, SeededRandom} from '../../../src/core/data/generator.js'
import {InputError} from '../../../src/core/errors.js'

const logReturns = (closes: Float64Array): number[] =>
  Array.from({length: closes.length - 1}, (_, t) => Math.log(closes[t + 1] / closes[t]))

/** Plain (not excess) kurtosis m4 / m2^2: 3 for a normal distribution. */
function kurtosis(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length
  const m4 = xs.reduce((a, x) => a + (x - mean) ** 4, 0) / xs.length
  return m4 / (m2 * m2)
}

/** Lag-k sample autocorrelation. */
function autocorrelation(xs: number[], lag: number): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  let numerator = 0
  let denominator = 0
  for (let t = 0; t < xs.length; t++) {
    denominator += (xs[t] - mean) ** 2
    if (t >= lag) numerator += (xs[t] - mean) * (xs[t - lag] - mean)
  }
  return numerator / denominator
}

const meanAutocorrelation = (xs: number[], lags: number): number => {
  let sum = 0
  for (let lag = 1; lag <= lags; lag++) sum += autocorrelation(xs, lag)
  return sum / lags
}

describe('generatePrices', () => {
  it('is deterministic: the same seed gives the same series, another seed another one', () => {
    const a = generatePrices({seed: 7})
    const b = generatePrices({seed: 7})
    const c = generatePrices({seed: 8})
    expect(a.close).toEqual(b.close)
    expect(a.volume).toEqual(b.volume)
    expect(a.regimes).toEqual(b.regimes)
    expect(pricesToCsv(a)).toBe(pricesToCsv(b))
    expect(a.close).not.toEqual(c.close)
  })

  it('gives 252 business days a year, weekdays only, with consistent bars', () => {
    const prices = generatePrices({seed: 1, years: 2, start: '2021-01-02'}) // a Saturday: starts on Monday the 4th
    expect(prices.close.length).toBe(504)
    expect(prices.dates[0]).toBe('2021-01-04')
    const weekends = prices.dates.filter((date) => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay()))
    expect(weekends).toEqual([])
    const badBars = prices.dates.filter((_, t) => {
      const body = [prices.open[t], prices.close[t]]
      return !(prices.low[t] > 0 && prices.low[t] <= Math.min(...body) && prices.high[t] >= Math.max(...body) && prices.volume[t] > 0)
    })
    expect(badBars).toEqual([])
  })

  it('writes a CSV that the price reader reads back to the same numbers', () => {
    const prices = generatePrices({seed: 3, years: 1, model: 'SYNTH-C'})
    const read = parsePrices(pricesToCsv(prices), 'generated.csv')
    expect(read.dates).toEqual(prices.dates)
    expect(read.close).toEqual(prices.close)
    expect(read.open).toEqual(prices.open)
    expect(read.volume).toEqual(prices.volume)
  })

  it.each(Object.keys(MARKET_MODELS))('%s has fat tails and volatility clustering', (model) => {
    for (const seed of [1, 2, 3]) {
      const returns = logReturns(generatePrices({seed, model, years: 10}).close)
      // fat tails: a normal distribution has kurtosis 3
      expect(kurtosis(returns), `seed ${seed}`).toBeGreaterThan(3.5)
      // volatility clustering: big moves follow big moves, so squared returns are positively autocorrelated.
      // A single lag of squared t-distributed returns is dominated by a few outliers, so the check averages
      // lags 1..10 (as the stylised-facts literature does) and adds the sturdier absolute returns at lag 1.
      const squared = returns.map((r) => r * r)
      expect(meanAutocorrelation(squared, 10), `seed ${seed}`).toBeGreaterThan(0.03)
      expect(autocorrelation(returns.map(Math.abs), 1), `seed ${seed}`).toBeGreaterThan(0.05)
      // and the clustering lives in the order of the days: shuffling them destroys it
      const random = new SeededRandom(seed)
      const shuffled = [...squared]
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random.uniform() * (i + 1))
        ;[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
      }
      expect(Math.abs(meanAutocorrelation(shuffled, 10))).toBeLessThan(0.02)
    }
  })

  it('switches regimes with the persistence of its Markov chain', () => {
    const {regimes} = generatePrices({seed: 4, years: 40, model: 'SYNTH-A'})
    let stays = 0
    let calm = 0
    for (let t = 1; t < regimes.length; t++) {
      if (regimes[t - 1] === 0) {
        calm++
        if (regimes[t] === 0) stays++
      }
    }
    // P(stay calm) = 0.996 in the model; 40 years give thousands of calm days to estimate it from
    expect(stays / calm).toBeGreaterThan(0.99)
    expect(stays / calm).toBeLessThan(0.9995)
    expect(regimes.includes(1)).toBe(true)
  })

  it('rejects unknown models and bad options as input errors', () => {
    expect(() => generatePrices({model: 'SYNTH-Z'})).toThrow(InputError)
    expect(() => generatePrices({years: -1})).toThrow(InputError)
    expect(() => generatePrices({start: '2020-13-40'})).toThrow(InputError)
    const unstable = {...MARKET_MODELS['SYNTH-A'], garch: {alpha: 0.2, beta: 0.85}}
    expect(() => generatePrices({model: unstable})).toThrow(/alpha \+ beta/)
  })
})

describe('SeededRandom', () => {
  it('draws uniforms in (0, 1) and normals with mean 0 and variance 1', () => {
    const random = new SeededRandom(99)
    let sum = 0
    let squares = 0
    let lowest = 1
    let highest = 0
    for (let i = 0; i < 20_000; i++) {
      const u = random.uniform()
      lowest = Math.min(lowest, u)
      highest = Math.max(highest, u)
      const z = random.normal()
      sum += z
      squares += z * z
    }
    expect(lowest).toBeGreaterThan(0)
    expect(highest).toBeLessThan(1)
    expect(Math.abs(sum / 20_000)).toBeLessThan(0.03)
    expect(squares / 20_000).toBeGreaterThan(0.96)
    expect(squares / 20_000).toBeLessThan(1.04)
  })

  it('draws Student-t with the variance dof / (dof - 2)', () => {
    const random = new SeededRandom(5)
    let squares = 0
    const n = 50_000
    for (let i = 0; i < n; i++) squares += random.studentT(8) ** 2
    expect(squares / n).toBeGreaterThan((8 / 6) * 0.95)
    expect(squares / n).toBeLessThan((8 / 6) * 1.05)
  })
})

describe('businessDays', () => {
  it('skips weekends', () => {
    expect(businessDays('2024-05-30', 4)).toEqual(['2024-05-30', '2024-05-31', '2024-06-03', '2024-06-04'])
  })
})

describe('bundled data', () => {
  // data/README.md says how each file was made; this holds it to its word
  const bundled: [string, number][] = [
    ['SYNTH-A', 11],
    ['SYNTH-B', 10],
    ['SYNTH-C', 19],
  ]
  it.each(bundled)('data/%s.csv is generatePrices with seed %i, 10 years from 2015-01-02', (symbol, seed) => {
    const file = fileURLToPath(new URL(`../../../data/${symbol}.csv`, import.meta.url))
    const expected = pricesToCsv(generatePrices({seed, years: 10, start: '2015-01-02', model: symbol}))
    expect(readFileSync(file, 'utf8')).toBe(expected)
    expect(expected.length).toBeLessThan(250_000)
  })
})
