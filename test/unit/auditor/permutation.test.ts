import {describe, expect, it} from 'vitest'
import {priceSeries} from '../../../src/core/backtest/prices.js'
import type {CheckContext} from '../../../src/core/auditor/checks/context.js'
import {permutationCheck} from '../../../src/core/auditor/checks/leakage.js'
import type {Rerun, RerunRequest} from '../../../src/core/auditor/rerun.js'
import {readPriceTable} from '../../../src/core/data/price-file.js'
import {AuditThresholds} from '../../../src/core/schemas/audit-thresholds.js'

const ROWS = 300
const dates = Array.from({length: ROWS}, (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10))
const table = readPriceTable(
  `date,close\n${dates.map((d, i) => `${d},${(100 * 1.001 ** i * (1 + 0.01 * Math.sin(i * 2.1))).toFixed(6)}`).join('\n')}\n`,
  'prices.csv',
)

/** returns with a small edge for copy `seed` (the same series with a seed-dependent phase: not the committed one) */
const earned = (seed: number, edge: number): Map<string, number> =>
  new Map(dates.slice(1).map((d, i) => [d, edge + 0.01 * Math.sin(i * 0.7 + seed)] as [string, number]))

/** A check context whose runner answers each shuffled copy (its seed) with `answer(seed)`. */
function context(answer: (seed: number | undefined) => Rerun): CheckContext {
  return {
    node: {id: 'x/y', data: 'prices.csv'} as CheckContext['node'],
    data: table,
    series: priceSeries(table),
    returns: earned(-1, 0.001),
    positions: new Map(),
    faults: [],
    family: {} as CheckContext['family'],
    costBps: 0,
    t: AuditThresholds.parse({}),
    runner: {kind: 'process', run: async (req: RerunRequest) => answer(req.permutation?.seed ?? req.permutation?.signs)},
  }
}

const ran = (returns: Map<string, number>): Rerun => ({ok: true, reason: '', returns, positions: new Map()})

describe('leakage.permutation', () => {
  it('fails a strategy that earns on every shuffled copy', async () => {
    const outcome = await permutationCheck(context((seed) => ran(earned(seed ?? 0, 0.004))))
    expect(outcome.check.result).toBe('fail')
    // a p-value is a tail probability: 1 − Φ(z) rounded it to 0 once z passed 8.3 (here z ≈ 34, p ≈ 1e-250)
    const p = outcome.check.figures.p_value as number
    expect(p).toBeGreaterThan(0)
    expect(p).toBeLessThan(1e-100)
    expect(outcome.issues[0]!.description).not.toMatch(/p = 0\.0\)/)
  })

  it('passes one that earns nothing there', async () => {
    expect((await permutationCheck(context((seed) => ran(earned(seed ?? 0, 0))))).check.result).toBe('pass')
  })

  it('is incomplete when copies fail or give NaN: left out, the copies a leaking runner earns on would not be seen', async () => {
    // the leak shows on every copy; the runner exits 1 on all but three, or writes one NaN (a Sharpe ratio of 0) there
    const hides = (seed: number | undefined) => seed === undefined || seed % 4 === 0
    const exits = await permutationCheck(
      context((seed) => (hides(seed) ? ran(earned(seed ?? 0, 0)) : {...ran(new Map()), ok: false, reason: 'exited with code 1'})),
    )
    expect(exits.check.result).toBe('error')
    expect(exits.check.reason).toMatch(/did not give returns on 9 of 12 shuffled copies \(copy 2: exited with code 1\)/)
    const nan = await permutationCheck(
      context((seed) => {
        if (hides(seed)) return ran(earned(seed ?? 0, 0))
        const returns = earned(seed ?? 0, 0.004)
        returns.set(dates[5]!, Number.NaN)
        return ran(returns)
      }),
    )
    expect(nan.check.result).toBe('error')
    expect(nan.check.reason).toContain('a return that is not a number')
  })
})
