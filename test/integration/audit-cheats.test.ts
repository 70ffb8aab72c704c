import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditNode, auditWorkspace, check, results, seedAndWork, strategyNode} from './audit-cheats-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// the cheats that need no lookahead (costs, a seed, accounting) and data the auditor cannot alter are in
// audit-cheats-more.test.ts: together the two took 70 s in one test
describe('the auditor tells honest strategies from cheats (runners and data made here)', () => {
  it('passes buy-and-hold on a drifting i.i.d. series; fails next-day opens and centred windows as lookahead', () => {
    repo = auditWorkspace({'drift.csv': pricesCsv({rows: 1500, seed: 7, drift: 0.001, vol: 0.01})}, '{permutations: 6, seeds: [1, 2]}')
    seedAndWork(repo, {
      nodes: [
        strategyNode(repo, 'hold/long', 'drift.csv', 'return close.map(() => 1)'),
        strategyNode(repo, 'peek/open', 'drift.csv', 'return close.map((c, t) => (t + 1 < close.length ? (open[t + 1] > c ? 1 : -1) : 0))'),
        strategyNode(
          repo,
          'peek/centred-vol',
          'drift.csv',
          `return close.map((_, t) => {
            const w = ret.slice(Math.max(1, t - 10), Math.min(ret.length, t + 11))
            const m = w.reduce((a, b) => a + b, 0) / w.length
            const sd = Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, w.length - 1))
            return Math.min(2, 0.01 / (sd || 1))
          })`,
        ),
      ],
    })

    const hold = auditNode(repo, 'hold/long')
    expect(results(hold)).toMatchObject({
      'accounting.consistency': 'pass',
      'lookahead.truncation': 'pass',
      'leakage.permutation': 'pass',
      'robustness.costs': 'pass',
    })
    expect(check(hold, 'leakage.permutation').figures.mean_shuffled_sharpe_annualised).toBeLessThan(0.3)
    expect(hold.verdict).toBe('PASS')

    const peeks = ['peek/open', 'peek/centred-vol'].map((id) => {
      const cheat = auditNode(repo, id)
      expect(results(cheat)['lookahead.truncation'], id).toBe('fail')
      expect(cheat.verdict).toBe('FAIL')
      expect(cheat.issues.map((i: any) => i.category)).toContain('lookahead')
      return cheat
    })
    expect(results(peeks[0])['leakage.permutation']).toBe('fail')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })
})

describe('the auditor on the kit: header spellings, families, a node that never trades', () => {
  it('alters capitalised and timestamped files, keeps roots on different data apart, and reports a strategy that never trades', () => {
    repo = auditWorkspace(
      {
        'caps.csv': pricesCsv({
          rows: 900,
          seed: 11,
          drift: 0.0008,
          header: ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'],
        }),
        'stamps.csv': pricesCsv({
          rows: 900,
          seed: 12,
          drift: 0.0008,
          header: ['timestamp', 'close'],
          date: (t) => String(1262563200 + t * 86400),
        }),
      },
      '{seeds: [1]}',
    )
    const kit = (id: string, data: string, params: Record<string, unknown>) => ({
      id,
      team: 'default',
      run: {command: ['rigor', 'backtest', '--strategy', 'momentum']},
      params,
      data,
    })
    seedAndWork(repo, {
      nodes: [
        kit('fam/caps', 'caps.csv', {lookback: 20}),
        kit('fam/stamps', 'stamps.csv', {lookback: 20}),
        kit('idle/never', 'caps.csv', {lookback: 100000}),
        // a family named explicitly, with the trials tried in a notebook before rigor
        {...kit('notebook/pick', 'caps.csv', {lookback: 60}), family: 'notebook-search', trials_outside: 9},
      ],
    })

    const caps = auditNode(repo, 'fam/caps')
    expect(results(caps)['leakage.permutation']).toBe('pass')
    expect(check(caps, 'leakage.permutation').figures.permutations).toBe(199)
    expect(check(caps, 'accounting.consistency')).toMatchObject({result: 'pass', figures: {price_column: 'adj close'}})
    const stamps = auditNode(repo, 'fam/stamps')
    expect(results(stamps)['leakage.permutation']).toBe('pass')
    for (const a of [caps, stamps]) {
      expect(check(a, 'overfitting.dsr').figures.trials).toBe(1)
      expect(a.family).toMatchObject({trials: 1, trials_in_rigor: 1})
    }
    expect(caps.family.rule).toContain('caps.csv')
    const declared = auditNode(repo, 'notebook/pick')
    expect(declared.family).toMatchObject({rule: 'family "notebook-search"', trials: 10, trials_in_rigor: 1, trials_outside: 9})
    expect(check(declared, 'overfitting.dsr').figures.family).toBe(
      'N = 10: 1 finished trial(s) in rigor (family "notebook-search") + 9 made outside rigor (9 declared with trials_outside, 0 reported by runners)',
    )

    const idle = auditNode(repo, 'idle/never')
    expect(idle.verdict).toBe('FAIL')
    expect(idle.checks.every((c: any) => c.result === 'skipped' && /never traded/.test(c.reason))).toBe(true)
    const day = idle.audited_at.slice(0, 10)
    const report = readFileSync(join(repo.dir, `audits/idle/never/${day}-risk.md`), 'utf8')
    expect(report).toMatch(/^---\nverdict: FAIL\n/)
    expect(report).toContain('never traded')
  })
})
