import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditNode, auditWorkspace, check, results, seedAndWork, strategyNode} from './audit-cheats-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/** Runner code that reads bench.csv by its workspace path, as a strategy reading a benchmark or market filter does. */
const BENCH = `const b = readFileSync(process.env.RIGOR_WORKSPACE + '/bench.csv', 'utf8').trim().split('\\n').slice(1).map((l) => l.split(','))
    const at = new Map(b.map((r, i) => [r[0], i]))
    const bench = b.map((r) => Number(r[4]))`

describe("the truncation check cuts every declared data file at its own data's cut (sandboxed runs)", () => {
  it('fails a look-ahead through another data file, passes the same rule on past values, and leaves no cut behind', () => {
    repo = auditWorkspace(
      {
        'asset.csv': pricesCsv({rows: 1000, seed: 7, drift: 0.0005, vol: 0.01}),
        'bench.csv': pricesCsv({rows: 1000, seed: 8, drift: 0.0005, vol: 0.01}),
      },
      '{permutations: 4, seeds: [1]}',
    )
    seedAndWork(repo, {
      nodes: [
        // bench.csv is a data file because a node declares it
        strategyNode(repo, 'bench/hold', 'bench.csv', 'return close.map(() => 1)'),
        // long the asset when the benchmark rises tomorrow: the asset's own data holds no hint of it
        strategyNode(
          repo,
          'cross/peek',
          'asset.csv',
          `${BENCH}
          return dates.map((d) => { const i = at.get(d); return i === undefined || i + 1 >= bench.length ? 0 : bench[i + 1] > bench[i] ? 1 : -1 })`,
        ),
        // the same rule on today's change: honest
        strategyNode(
          repo,
          'cross/past',
          'asset.csv',
          `${BENCH}
          return dates.map((d) => { const i = at.get(d); return i === undefined || i < 1 ? 0 : bench[i] > bench[i - 1] ? 1 : -1 })`,
        ),
      ],
    })

    const peek = auditNode(repo, 'cross/peek')
    expect(results(peek)['lookahead.truncation']).toBe('fail')
    expect(peek.verdict).toBe('FAIL')
    // the last day before each cut: no benchmark row after it any more, so no position (0 against 1 or -1)
    expect(check(peek, 'lookahead.truncation').figures.max_position_difference).toBe(1)
    expect(peek.issues.map((i: any) => i.category)).toContain('lookahead')

    const past = auditNode(repo, 'cross/past')
    expect(results(past)['lookahead.truncation']).toBe('pass')
    expect(check(past, 'lookahead.truncation').figures.max_position_difference).toBe(0)

    // the truncation cuts were the audits' own: removed with them
    const scratch = join(repo.dir, '.git', 'rigor', 'audit')
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([])
  })
})
