import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {auditNode, auditWorkspace, check, results, seedAndWork, strategyNode} from './audit-cheats-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// lookahead and the honest strategy are in audit-cheats.test.ts
describe('the auditor tells honest strategies from cheats (runners and data made here), more', () => {
  // data it cannot alter (an error, not a verdict) is in audit-declared-price.test.ts
  it('fails profit only before costs, a seeded coin, and returns the positions did not earn', () => {
    const drift = pricesCsv({rows: 1500, seed: 7, drift: 0.001, vol: 0.01})
    repo = auditWorkspace(
      {
        'drift.csv': drift,
        'flat.csv': pricesCsv({rows: 1200, seed: 8, vol: 0.01}),
        // an alternating component a reversal rule can harvest, worth less than twice its costs
        'alt.csv': pricesCsv({rows: 1200, seed: 9, vol: 0.003, extra: (t) => 0.003 * (t % 2 ? 1 : -1)}),
      },
      '{permutations: 6, seeds: [1, 2]}',
    )
    seedAndWork(repo, {
      nodes: [
        strategyNode(repo, 'churn/flip', 'alt.csv', 'return ret.map((r) => (r > 0 ? -1 : 1))', {params: {cost_bps: 10}}),
        strategyNode(
          repo,
          'coin/seeded',
          'flat.csv',
          `let s = (seed * 2654435761 + 12345) >>> 0
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
          let p = 1
          return close.map(() => (rnd() < 0.05 ? (p = -p) : p))`,
        ),
        // honest on every altered copy; on the research file byte for byte (it knows the file's length and last
        // line: the sandbox shows altered copies at the file's own path too, so it cannot compare with that) it
        // reports returns its positions never earned
        strategyNode(
          repo,
          'game/aware',
          'drift.csv',
          'return close.map(() => 1)',
          {},
          `data.length === ${drift.length} && data.endsWith(${JSON.stringify(drift.trimEnd().split('\n').pop())} + '\\n') ? net.map((r) => r + 0.002) : net`,
        ),
      ],
    })

    const churn = auditNode(repo, 'churn/flip')
    expect(check(churn, 'robustness.costs')).toMatchObject({
      result: 'fail',
      figures: {cost_bps: 20, method: 're-priced from positions.csv'},
    })
    expect(check(churn, 'robustness.costs').figures.sharpe_annualised).toBeGreaterThan(0)
    expect(churn.verdict).toBe('FAIL')

    const coin = auditNode(repo, 'coin/seeded')
    expect(results(coin)['robustness.seeds']).toBe('fail')
    expect(coin.verdict).toBe('FAIL')

    const game = auditNode(repo, 'game/aware')
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
    const signed = auditNode(repo, 'game/aware')
    expect(implausible(signed)).toMatchObject({
      severity: 'minor',
      description: expect.stringContaining('signed off by alice: checked by hand'),
    })
    expect(signed.verdict).toBe('FAIL')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it('fails a returns.csv that gives a date twice (the made-up row beside the real one would never be checked) or a value that is no number, rather than crashing', () => {
    repo = auditWorkspace({'drift.csv': pricesCsv({rows: 800, seed: 11, drift: 0.001, vol: 0.01})}, '{permutations: 4, seeds: [1]}')
    const honest = strategyNode(repo, 'long/forged', 'drift.csv', 'return close.map(() => 1)')
    const gap = strategyNode(
      repo,
      'long/gap',
      'drift.csv',
      'return close.map(() => 1)',
      {},
      'net.map((r, t) => (t === 300 ? Number.NaN : r))',
    )
    // the honest runner, then every reported day given a second time, first, with a return of 2%
    writeFileSync(
      join(repo.dir, 'forge.mjs'),
      `import {readFileSync, rmSync, writeFileSync} from 'node:fs'
await import(${JSON.stringify(honest.run.command[1])})
const file = process.env.RIGOR_OUT + '/returns.csv'
const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\\n')
writeFileSync(file, [header, ...rows.flatMap((row) => [row.split(',')[0] + ',0.02', row])].join('\\n') + '\\n')
`,
    )
    repo.git('add', '.')
    repo.git('commit', '-qm', 'runners')
    // two clean siblings, so the family of four is large enough for PBO
    const siblings = [2, 3].map((n) => strategyNode(repo, `long/v${n}`, 'drift.csv', 'return close.map(() => 1)', {params: {variant: n}}))
    // honest, its warm-up written as NaN positions the way a dataframe's rolling window writes them
    const warm = strategyNode(repo, 'warm/nan', 'drift.csv', 'return close.map((_, t) => (t < 20 ? Number.NaN : 1))')
    seedAndWork(repo, {nodes: [{...honest, run: {command: ['node', join(repo.dir, 'forge.mjs')]}}, gap, ...siblings, warm]})
    const forged = auditNode(repo, 'long/forged')
    expect(check(forged, 'accounting.consistency')).toMatchObject({result: 'fail', figures: {file: 'returns.csv', line: 3}})
    expect(forged.issues.find((i: any) => i.severity === 'critical').description).toMatch(
      /^returns\.csv line 3 gives (\S+) again \(first on line 2\): the file does not say one number per date/,
    )
    expect(forged.verdict).toBe('FAIL')

    // the DSR took the NaN and the audit stopped with exit 2, naming no file
    const broken = auditNode(repo, 'long/gap')
    const start = Math.floor(800 * 0.2)
    expect(check(broken, 'accounting.consistency')).toMatchObject({result: 'fail', figures: {file: 'returns.csv', line: 300 - start + 2}})
    expect(check(broken, 'accounting.consistency').reason).toMatch(/^returns\.csv line \d+ has "NaN" for \S+, not a finite number$/)
    expect(check(broken, 'overfitting.dsr').result).not.toBe('error')
    expect(broken.verdict).toBe('FAIL')
    // positions not reported yet are no fault: its returns are checked from its first position on
    expect(check(auditNode(repo, 'warm/nan'), 'accounting.consistency')).toMatchObject({result: 'pass', figures: {mismatched_periods: 0}})
    // a clean sibling's audit counts long/gap's finite returns in PBO: it stopped on the NaN, exit 2
    expect(check(auditNode(repo, 'long/v2'), 'overfitting.pbo')).toMatchObject({result: 'info', figures: {trials: 4}})
  })

  it('cuts the truncated copies at rows drawn for each audit: a runner that peeks everywhere but before the rows the configured fractions give is caught', () => {
    const rows = 1000
    repo = auditWorkspace({'drift.csv': pricesCsv({rows, seed: 21, drift: 0.0005, vol: 0.01})}, '{permutations: 2, seeds: [1]}')
    // tomorrow's move on every day but the last before each cut floor(n x f) would end at (the default 60%, 75%, 90%),
    // held at 2 either way, so a day it cannot peek at (its last) holds 1, a position no peek takes
    const evader = strategyNode(
      repo,
      'evade/cuts',
      'drift.csv',
      `const skip = new Set([0.6, 0.75, 0.9].map((f) => Math.floor(${rows} * f) - 1))
      return close.map((c, t) => (t + 1 < close.length && !skip.has(t) ? 2 * (Math.sign(close[t + 1] - c) || 1) : 1))`,
    )
    seedAndWork(repo, {nodes: [evader]})
    const audit = auditNode(repo, 'evade/cuts')
    const truncation = check(audit, 'lookahead.truncation')
    // each cut within 5% of the rows of its fraction, drawn: one of 61 rows each, so all three on the predicted rows
    // (which would let it pass) once in about 227,000 audits
    for (const [i, f] of [0.6, 0.75, 0.9].entries()) expect(Math.abs(truncation.figures.cuts_rows[i] - rows * f)).toBeLessThanOrEqual(50)
    expect(truncation.result).toBe('fail')
    expect(audit.verdict).toBe('FAIL')
  })

  it("shuffles copies that keep the data's mean and scores their positions on the copy demeaned: a runner that trades honestly only where the mean is exactly 0 is caught peeking", () => {
    repo = auditWorkspace({'drift.csv': pricesCsv({rows: 1000, seed: 22, drift: 0.0008, vol: 0.01})}, '{permutations: 8, seeds: [1]}')
    // a demeaned copy has a mean return of exactly 0, which real data never has: there it holds 1; elsewhere it peeks
    // at tomorrow one day in ten
    const evader = strategyNode(
      repo,
      'evade/mean',
      'drift.csv',
      `const mean = ret.slice(1).reduce((a, b) => a + b, 0) / (ret.length - 1)
      if (Math.abs(mean) < 1e-12) return close.map(() => 1)
      return close.map((c, t) => (t + 1 < close.length && t % 10 === 3 ? Math.sign(close[t + 1] - c) || 1 : 1))`,
    )
    // honest and long-biased: it holds the asset, more of it after a rise; it must still pass
    const honest = strategyNode(repo, 'long/tilt', 'drift.csv', 'return close.map((c, t) => (t > 0 && c > close[t - 1] ? 1.5 : 1))')
    seedAndWork(repo, {nodes: [evader, honest]})
    const audit = auditNode(repo, 'evade/mean')
    expect(check(audit, 'leakage.permutation').result).toBe('fail')
    expect(audit.verdict).toBe('FAIL')
    expect(check(auditNode(repo, 'long/tilt'), 'leakage.permutation').result).toBe('pass')
  })

  it('annualises a weekly strategy at the rate its dates show, not at the 252 of daily data', () => {
    const week = (t: number) => new Date(Date.UTC(2010, 0, 4) + t * 7 * 86_400_000).toISOString().slice(0, 10)
    repo = auditWorkspace(
      {'weekly.csv': pricesCsv({rows: 520, seed: 11, drift: 0.003, vol: 0.02, date: week})},
      '{permutations: 2, seeds: [1]}',
    )
    seedAndWork(repo, {nodes: [strategyNode(repo, 'week/hold', 'weekly.csv', 'return close.map(() => 1)')]})
    const dsr = check(auditNode(repo, 'week/hold'), 'overfitting.dsr').figures
    // 52 a year: sqrt(252 / 52) more, the figure a weekly strategy never earned, would read as implausible
    expect(dsr.periods_per_year).toBeCloseTo(365.25 / 7, 6)
    expect(dsr.sharpe_annualised).toBeCloseTo(dsr.sharpe_per_period * Math.sqrt(365.25 / 7), 9)
  })

  it("shows a re-run its own committed outputs empty, in every checkout: a runner that replays its run's positions on every altered copy is caught peeking", () => {
    // in /var/tmp: the sandbox shows neither the host's /tmp nor /dev/shm, where the other checkout would be out of sight anyway
    repo = auditWorkspace(
      {'drift.csv': pricesCsv({rows: 1500, seed: 21, drift: 0.0005, vol: 0.01})},
      '{permutations: 6, seeds: [1]}',
      '/var/tmp',
    )
    const other = `${repo.dir}-linked`
    // the run peeks at the next return one day in eight; a re-run finds the positions the run committed
    // (experiments/<id>/out/, in this checkout or another) and replays them: the same positions on every cut, nothing
    // earned on a shuffled copy
    const replay = `const own = '/experiments/' + process.env.RIGOR_NODE_ID + '/out/positions.csv'
      let kept
      for (const root of [params.other, process.env.RIGOR_WORKSPACE]) {
        try { kept = kept ?? new Map(readFileSync(root + own, 'utf8').trim().split('\\n').slice(1).map((l) => [l.split(',')[0], Number(l.split(',')[1])])) } catch {}
      }
      if (kept) return dates.map((d) => kept.get(d) ?? 0)
      return ret.map((r, t) => (t % 8 === 7 && t + 1 < ret.length ? Math.sign(ret[t + 1]) : 1))`
    try {
      seedAndWork(repo, {nodes: [strategyNode(repo, 'replay/own', 'drift.csv', replay, {params: {other}})]})
      repo.git('worktree', 'add', '-q', '--detach', other)
      const audit = auditNode(repo, 'replay/own')
      expect(results(audit)['leakage.permutation']).toBe('fail')
      expect(audit.verdict).toBe('FAIL')
    } finally {
      rmSync(other, {recursive: true, force: true})
    }
  })
  it("shows a re-run every node's committed outputs empty: a runner that replays a sibling's look-ahead positions on every altered copy is caught peeking", () => {
    repo = auditWorkspace({'drift.csv': pricesCsv({rows: 1500, seed: 23, drift: 0.0005, vol: 0.01})}, '{permutations: 6, seeds: [1]}')
    // both peek at the next return one day in eight; in the audit's re-runs the second finds the positions its sibling
    // committed (experiments/peek/first/out/) and replays them: the same positions on every cut, nothing earned on a
    // shuffled copy
    const peek = 'return ret.map((r, t) => (t % 8 === 7 && t + 1 < ret.length ? Math.sign(ret[t + 1]) : 1))'
    const replay = `let kept
      try { kept = new Map(readFileSync(process.env.RIGOR_WORKSPACE + '/experiments/peek/first/out/positions.csv', 'utf8').trim().split('\\n').slice(1).map((l) => [l.split(',')[0], Number(l.split(',')[1])])) } catch {}
      if (kept) return dates.map((d) => kept.get(d) ?? 0)
      ${peek}`
    seedAndWork(repo, {
      nodes: [strategyNode(repo, 'peek/first', 'drift.csv', peek), strategyNode(repo, 'peek/second', 'drift.csv', replay)],
    })
    const audit = auditNode(repo, 'peek/second')
    // one day in eight is before a cut (drawn at random) about one audit in three: the shuffled copies see every peek
    expect(check(audit, 'leakage.permutation').result).toBe('fail')
    expect(audit.verdict).toBe('FAIL')
  })
})
