import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv, writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const results = (audit: any): Record<string, string> => Object.fromEntries(audit.checks.map((c: any) => [c.name, c.result]))
const check = (audit: any, name: string) => audit.checks.find((c: any) => c.name === name)

/** A workspace with the given data files and rigor.yaml committed (rigor reads both from the branch tip only). */
function setup(files: Record<string, string>, audit: string) {
  repo = workspace()
  for (const [name, text] of Object.entries(files)) writeFileSync(join(repo.dir, name), text)
  writeFileSync(
    join(repo.dir, 'rigor.yaml'),
    `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'true'}]\naudit: ${audit}\n`,
  )
  repo.git('add', 'rigor.yaml', ...Object.keys(files))
  repo.git('commit', '-qm', 'data')
}

function seedAndWork(spec: unknown) {
  writeSpec(repo.dir, spec)
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
  rigor(repo.dir, ['work', '--worker', 'runner', '--parallel', '2'])
}

function audit(id: string): any {
  const result = rigor(repo.dir, ['audit', id, '--auditor', 'risk', '--json'])
  expect(result.code, `${id}: ${result.stderr}${result.stdout}`).toBe(0)
  return json(result)
}

describe('the auditor tells honest strategies from cheats (runners and data made here)', () => {
  it('passes buy-and-hold on a drifting i.i.d. series; fails next-day opens and centred windows as lookahead, profit only before costs, a seeded coin, and returns the positions did not earn', () => {
    const drift = pricesCsv({rows: 1500, seed: 7, drift: 0.001, vol: 0.01})
    setup(
      {
        'drift.csv': drift,
        'flat.csv': pricesCsv({rows: 1200, seed: 8, vol: 0.01}),
        // an alternating component a reversal rule can harvest, worth less than twice its costs
        'alt.csv': pricesCsv({rows: 1200, seed: 9, vol: 0.003, extra: (t) => 0.003 * (t % 2 ? 1 : -1)}),
        // a file whose price column rigor cannot recognise: nothing can be altered
        'last.csv': pricesCsv({rows: 400, seed: 10, drift: 0.001, header: ['date', 'last']}),
      },
      '{permutations: 6, seeds: [1, 2]}',
    )
    const node = (id: string, data: string, body: string, extra: Record<string, unknown> = {}, report?: string) => ({
      id,
      team: 'default',
      run: {command: ['node', writeRunner(repo.dir, id.replace('/', '-'), body, report)]},
      data,
      ...extra,
    })
    seedAndWork({
      nodes: [
        node('hold/long', 'drift.csv', 'return close.map(() => 1)'),
        node('peek/open', 'drift.csv', 'return close.map((c, t) => (t + 1 < close.length ? (open[t + 1] > c ? 1 : -1) : 0))'),
        node(
          'peek/centred-vol',
          'drift.csv',
          `return close.map((_, t) => {
            const w = ret.slice(Math.max(1, t - 10), Math.min(ret.length, t + 11))
            const m = w.reduce((a, b) => a + b, 0) / w.length
            const sd = Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, w.length - 1))
            return Math.min(2, 0.01 / (sd || 1))
          })`,
        ),
        node('churn/flip', 'alt.csv', 'return ret.map((r) => (r > 0 ? -1 : 1))', {params: {cost_bps: 10}}),
        node(
          'coin/seeded',
          'flat.csv',
          `let s = (seed * 2654435761 + 12345) >>> 0
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
          let p = 1
          return close.map(() => (rnd() < 0.05 ? (p = -p) : p))`,
        ),
        node('odd/last', 'last.csv', 'return close.map(() => 1)', {params: {price_column: 'last'}}),
        // honest on every altered copy; on the research file byte for byte (it knows the file's length and last
        // line: the sandbox shows altered copies at the file's own path too, so it cannot compare with that) it
        // reports returns its positions never earned
        node(
          'game/aware',
          'drift.csv',
          'return close.map(() => 1)',
          {},
          `data.length === ${drift.length} && data.endsWith(${JSON.stringify(drift.trimEnd().split('\n').pop())} + '\\n') ? net.map((r) => r + 0.002) : net`,
        ),
      ],
    })

    const hold = audit('hold/long')
    expect(results(hold)).toMatchObject({
      'accounting.consistency': 'pass',
      'lookahead.truncation': 'pass',
      'leakage.permutation': 'pass',
      'robustness.costs': 'pass',
    })
    expect(check(hold, 'leakage.permutation').figures.mean_shuffled_sharpe_annualised).toBeLessThan(0.3)
    expect(hold.verdict).toBe('PASS')

    const peeks = ['peek/open', 'peek/centred-vol'].map((id) => {
      const cheat = audit(id)
      expect(results(cheat)['lookahead.truncation'], id).toBe('fail')
      expect(cheat.verdict).toBe('FAIL')
      expect(cheat.issues.map((i: any) => i.category)).toContain('lookahead')
      return cheat
    })
    expect(results(peeks[0])['leakage.permutation']).toBe('fail')

    const churn = audit('churn/flip')
    expect(check(churn, 'robustness.costs')).toMatchObject({
      result: 'fail',
      figures: {cost_bps: 20, method: 're-priced from positions.csv'},
    })
    expect(check(churn, 'robustness.costs').figures.sharpe_annualised).toBeGreaterThan(0)
    expect(churn.verdict).toBe('FAIL')

    const coin = audit('coin/seeded')
    expect(results(coin)['robustness.seeds']).toBe('fail')
    expect(coin.verdict).toBe('FAIL')

    const game = audit('game/aware')
    expect(results(game)).toMatchObject({'accounting.consistency': 'fail', 'lookahead.truncation': 'pass', 'leakage.permutation': 'pass'})
    expect(check(game, 'accounting.consistency').figures.mismatched_periods).toBe(1200)
    expect(game.verdict).toBe('FAIL')
    const implausible = (a: any) => a.issues.find((i: any) => /annualised Sharpe ratio of .* is above 4/.test(i.description))
    expect(implausible(game).severity).toBe('major')
    // a reviewer's sign-off, committed in rigor.yaml, turns it into a minor note (the accounting failure stands)
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8').replace(
      'audit: {',
      "audit: {sign_offs: [{node: game/aware, issue: implausible_sharpe, by: alice, reason: 'checked by hand'}], ",
    )
    writeFileSync(join(repo.dir, 'rigor.yaml'), config)
    repo.git('commit', '-qam', 'sign off')
    const signed = audit('game/aware')
    expect(implausible(signed)).toMatchObject({
      severity: 'minor',
      description: expect.stringContaining('signed off by alice: checked by hand'),
    })
    expect(signed.verdict).toBe('FAIL')

    // data the auditor cannot alter: the checks that need it are errors, never a verdict on the strategy
    const odd = audit('odd/last')
    expect(results(odd)).toMatchObject({'lookahead.truncation': 'error', 'leakage.permutation': 'error', 'accounting.consistency': 'error'})
    expect(check(odd, 'leakage.permutation').reason).toMatch(/has no "close" column/)
    expect(odd.verdict).toBe('FAIL')
    expect(odd.issues.every((i: any) => i.category !== 'leakage' && i.category !== 'lookahead')).toBe(true)
    expect(odd.issues[0].description).toContain('not a finding about the strategy')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })
})

describe('the auditor on the kit: header spellings, families, a node that never trades', () => {
  it('alters capitalised and timestamped files, keeps roots on different data apart, and reports a strategy that never trades', () => {
    setup(
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
    seedAndWork({
      nodes: [
        kit('fam/caps', 'caps.csv', {lookback: 20}),
        kit('fam/stamps', 'stamps.csv', {lookback: 20}),
        kit('idle/never', 'caps.csv', {lookback: 100000}),
        // a family named explicitly, with the trials tried in a notebook before rigor
        {...kit('notebook/pick', 'caps.csv', {lookback: 60}), family: 'notebook-search', trials_outside: 9},
      ],
    })

    const caps = audit('fam/caps')
    expect(results(caps)['leakage.permutation']).toBe('pass')
    expect(check(caps, 'leakage.permutation').figures.permutations).toBe(199)
    expect(check(caps, 'accounting.consistency')).toMatchObject({result: 'pass', figures: {price_column: 'adj close'}})
    const stamps = audit('fam/stamps')
    expect(results(stamps)['leakage.permutation']).toBe('pass')
    for (const a of [caps, stamps]) {
      expect(check(a, 'overfitting.dsr').figures.trials).toBe(1)
      expect(a.family).toMatchObject({trials: 1, trials_in_rigor: 1})
    }
    expect(caps.family.rule).toContain('caps.csv')
    const declared = audit('notebook/pick')
    expect(declared.family).toMatchObject({rule: 'family "notebook-search"', trials: 10, trials_in_rigor: 1, trials_outside: 9})
    expect(check(declared, 'overfitting.dsr').figures.family).toBe(
      'N = 10: 1 finished trial(s) in rigor (family "notebook-search") + 9 made outside rigor (9 declared with trials_outside, 0 reported by runners)',
    )

    const idle = audit('idle/never')
    expect(idle.verdict).toBe('FAIL')
    expect(idle.checks.every((c: any) => c.result === 'skipped' && /never traded/.test(c.reason))).toBe(true)
    const day = idle.audited_at.slice(0, 10)
    const report = readFileSync(join(repo.dir, `audits/idle/never/${day}-risk.md`), 'utf8')
    expect(report).toMatch(/^---\nverdict: FAIL\n/)
    expect(report).toContain('never traded')
  })
})
