import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import {afterEach, describe, expect, it} from 'vitest'
import type {TempRepo} from '../helpers/git-repo.js'
import {auditNode, auditWorkspace, check, seedAndWork, strategyNode} from './audit-cheats-helpers.js'
import {pricesCsv} from './audit-fixtures.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ROWS = 2000

/** A clustered volatility path (log-volatility AR(1), seeded): |returns| are autocorrelated as real daily prices' are. */
function clusteredVol(seed: number): (t: number) => number {
  const rng = mersenne(seed)
  const uniform = () => (unsafeUniformIntDistribution(1, 2 ** 30, rng) - 0.5) / 2 ** 30
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  const path: number[] = []
  let level = 0
  for (let t = 0; t < ROWS; t++) {
    level = 0.97 * level + 0.25 * normal()
    path.push(0.01 * Math.exp(level))
  }
  return (t) => path[t]!
}

/** Runner code: the lag-1 autocorrelation of |r - mean| on the data it was given. */
const CLUSTERING = `const r = ret.slice(1)
    const mean = r.reduce((a, b) => a + b, 0) / r.length
    const a = r.map((x) => Math.abs(x - mean))
    const am = a.reduce((s, x) => s + x, 0) / a.length
    let num = 0
    let den = 0
    for (let i = 0; i < a.length; i++) {
      den += (a[i] - am) ** 2
      if (i > 0) num += (a[i] - am) * (a[i - 1] - am)
    }
    const clustering = num / den`

// long on a rising asset with clustered volatility, as real daily prices are
const nodes = (data: string) => (id: string, body: string) => strategyNode(repo, id, data, body)

describe('the permutation check on data with volatility clustering', () => {
  for (const seed of [31, 33, 34]) {
    it(`fails a runner that peeks only where |returns| cluster (real prices, not shuffled copies), and passes honest rules that use the clustering (data seed ${seed})`, () => {
      repo = auditWorkspace(
        {'vol.csv': pricesCsv({rows: ROWS, seed, drift: 0.0004, volOf: clusteredVol(seed + 100)})},
        '{permutations: 12, seeds: [1]}',
      )
      const node = nodes('vol.csv')
      seedAndWork(repo, {
        nodes: [
          // holds 1, and on one day in twenty takes tomorrow's direction, but only where the volatility clusters (on
          // the real data: a shuffled copy has none)
          node(
            'evade/clustering',
            `${CLUSTERING}
            if (clustering < 0.1) return close.map(() => 1)
            return close.map((c, t) => (t + 1 < close.length && t % 20 === 7 ? Math.sign(close[t + 1] - c) || 1 : 1))`,
          ),
          // honest: long, sized to a volatility target from the last 20 days (it uses the clustering, from the past only)
          node(
            'honest/vol-target',
            `return close.map((_, t) => {
              const w = ret.slice(Math.max(1, t - 19), t + 1)
              if (w.length < 5) return 0
              const sd = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length)
              return Math.min(3, 0.01 / (sd || 1))
            })`,
          ),
          // honest: a moving-average crossover (trend)
          node(
            'honest/ma-cross',
            `const ma = (t, n) => close.slice(Math.max(0, t - n + 1), t + 1).reduce((a, b) => a + b, 0) / Math.min(n, t + 1)
            return close.map((_, t) => (t < 50 ? 0 : ma(t, 10) > ma(t, 50) ? 1 : -1))`,
          ),
          // honest: long-biased, more of it after a rise
          node('honest/tilt', 'return close.map((c, t) => (t > 0 && c > close[t - 1] ? 1.5 : 1))'),
          // honest: mean reversion on the last 5 days
          node('honest/revert', 'return close.map((c, t) => (t < 5 ? 0 : c < close[t - 5] ? 1 : -0.5))'),
        ],
      })
      const cheat = check(auditNode(repo, 'evade/clustering'), 'leakage.permutation')
      expect(cheat.result, JSON.stringify(cheat.figures)).toBe('fail')
      expect(cheat.figures.p_value_sign_flipped).toBeLessThan(0.01)
      for (const id of ['honest/vol-target', 'honest/ma-cross', 'honest/tilt', 'honest/revert']) {
        const honest = check(auditNode(repo, id), 'leakage.permutation')
        expect(honest.result, `${id}: ${JSON.stringify(honest.figures)}`).toBe('pass')
      }
    })
  }
})
