import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {mersenne, unsafeUniformIntDistribution} from 'pure-rand'
import {afterEach, describe, expect, it} from 'vitest'
import type {TempRepo} from '../helpers/git-repo.js'
import {auditNode, check, results, seedAndWork, strategyNode} from './audit-cheats-helpers.js'
import {workspace} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ROWS = 800

/** An asset and its benchmark (0.8 of the asset's daily move plus its own noise), seeded: the benchmark's moves tell the asset's. */
function assetAndBenchmark(seed: number): {asset: string; bench: string} {
  const rng = mersenne(seed)
  const uniform = () => (unsafeUniformIntDistribution(1, 2 ** 30, rng) - 0.5) / 2 ** 30
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  let asset = 100
  let bench = 100
  const a = ['date,close']
  const b = ['date,close']
  for (let t = 0; t < ROWS; t++) {
    const date = new Date(Date.UTC(2012, 0, 2) + t * 86_400_000).toISOString().slice(0, 10)
    if (t > 0) {
      const move = 0.01 * normal()
      asset *= 1 + 0.0005 + move
      bench *= 1 + 0.0005 + 0.8 * move + 0.004 * normal()
    }
    a.push(`${date},${asset.toFixed(6)}`)
    b.push(`${date},${bench.toFixed(6)}`)
  }
  return {asset: `${a.join('\n')}\n`, bench: `${b.join('\n')}\n`}
}

/** Runner code that reads bench.csv by its workspace path (date,close), as a strategy reading a benchmark does. */
const BENCH = `const b = readFileSync(process.env.RIGOR_WORKSPACE + '/bench.csv', 'utf8').trim().split('\\n').slice(1).map((l) => l.split(','))
    const at = new Map(b.map((r, i) => [r[0], i]))
    const bench = b.map((r) => Number(r[1]))
    const change = (i) => (i === undefined || i < 1 || i >= bench.length ? 0 : bench[i] / bench[i - 1] - 1)`

describe('the permutation check shuffles every declared data file along the same dates as the own data (sandboxed runs)', () => {
  it('fails a rare peek at the benchmark of tomorrow that truncation misses, passes a rule on its past, and leaves no file behind', () => {
    repo = workspace()
    const {asset, bench} = assetAndBenchmark(11)
    writeFileSync(join(repo.dir, 'asset.csv'), asset)
    writeFileSync(join(repo.dir, 'bench.csv'), bench)
    // with a sealed holdout: the shuffled benchmark is made from its research cut
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      "version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'true'}]\nholdout: {fraction: 0.2}\naudit: {permutations: 8, seeds: [1]}\n",
    )
    repo.git('add', 'rigor.yaml', 'asset.csv', 'bench.csv')
    repo.git('commit', '-qm', 'data')
    seedAndWork(repo, {
      nodes: [
        // bench.csv is a data file because a node declares it
        strategyNode(repo, 'bench/hold', 'bench.csv', 'return close.map(() => 1)'),
        // long, but flat on the few days before the benchmark falls by more than 1.5%: the asset's data holds no hint.
        // It never peeks near a row a truncated copy can end at (each default cut moved by up to 5% of the research rows):
        // truncation, which sees only the last position before each cut, cannot see it; the permutation check must
        strategyNode(
          repo,
          'cross/rare-peek',
          'asset.csv',
          `${BENCH}
          const n = ${ROWS - Math.round(ROWS * 0.2)}
          const reach = Math.max(1, Math.floor(n * 0.05))
          const nearCut = (t) => [0.6, 0.75, 0.9].some((f) => Math.abs(t + 1 - Math.floor(n * f)) <= reach + 1)
          return dates.map((d, t) => { const i = at.get(d); return !nearCut(t) && i !== undefined && change(i + 1) < -0.015 ? 0 : 1 })`,
        ),
        // long when the benchmark rose today: honest
        strategyNode(
          repo,
          'cross/past',
          'asset.csv',
          `${BENCH}
          return dates.map((d) => (change(at.get(d)) > 0 ? 1 : 0))`,
        ),
      ],
    })

    const peek = auditNode(repo, 'cross/rare-peek')
    // the peek changes a position on a few percent of the days: none where a truncated copy can end
    expect(results(peek)['lookahead.truncation']).toBe('pass')
    const permutation = check(peek, 'leakage.permutation')
    expect(permutation.result).toBe('fail')
    // decided on one kind of copy (4 of the 8, shuffled or sign-flipped; p doubled for the two tests)
    expect(permutation.figures.p_value, JSON.stringify(permutation.figures)).toBeLessThan(0.001)
    expect(permutation.figures.mean_shuffled_sharpe_annualised).toBeGreaterThan(0.6)
    expect(peek.verdict).toBe('FAIL')
    expect(peek.issues.map((i: any) => i.category)).toContain('leakage')

    const past = auditNode(repo, 'cross/past')
    const honest = check(past, 'leakage.permutation')
    expect(honest.result).toBe('pass')
    expect(honest.figures.p_value).toBeGreaterThan(0.1)
    expect(honest.figures.mean_shuffled_sharpe_annualised).toBeLessThan(0.3)
    expect(results(past)['lookahead.truncation']).toBe('pass')

    // the shuffled files were the audits' own: removed with them
    const scratch = join(repo.dir, '.git', 'rigor', 'audit')
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([])
  })
})
