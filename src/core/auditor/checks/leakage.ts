import {standardNormalCdf} from '../../stats/index.js'
import {differs, returnAlterations, type ReturnVariant} from '../data-variants.js'
import {declaredPriceColumn, recomputeReturns, VERIFIABLE_CONVENTION} from '../accounting.js'
import {inBatches, type Rerun, type RerunData} from '../rerun.js'
import {datesMatchNoData, errored, perPeriodSharpe, skipped, type CheckContext, type CheckOutcome} from './context.js'

/** Seeds of the copies: fixed, so an audit is reproducible. */
const FIRST_SEED = 1000

/**
 * Copy i: even ones shuffle the daily returns, odd ones give each its random sign about the mean (data-variants.ts).
 * A shuffled copy loses the real volatility clustering, which a runner can measure (the lag-1 autocorrelation of |r|,
 * about 0.2 on real daily prices, 0 there) and peek only where it finds it; a copy with flipped signs keeps it, and
 * keeps what a day's move of another data file says about the asset's. Each kind decides on its own (below), so a
 * runner that earns on one kind only is not averaged away by the other.
 */
export const copyVariant = (i: number, demean: boolean): ReturnVariant =>
  i % 2 === 0 ? {seed: FIRST_SEED + i, demean} : {signs: FIRST_SEED + i, demean}

/** The kinds of copy, by the index of their first copy. */
const KINDS = [
  {name: 'shuffled', first: 0},
  {name: 'sign_flipped', first: 1},
] as const

/**
 * On copies whose daily returns are demeaned and shuffled, nothing is left to
 * earn: no drift (so no exposure earns anything on average) and no temporal
 * pattern (so no honest timing rule does either). A strategy that still earns
 * there uses information it could not have had.
 *
 * Decision, by the p-value: under "the strategy is honest" each copy's
 * per-period Sharpe ratio SR_c over T_c periods has z_c = SR_c * sqrt(T_c - 1)
 * ~ N(0, 1) (the standard error of a zero Sharpe ratio, whatever the skew and
 * kurtosis); Stouffer's Z = sum z_c / sqrt(k) gives p = 1 - Phi(Z). Leakage when
 * p < max_leak_p_value (0.01) and the mean annualised Sharpe on the copies
 * exceeds max_permuted_sharpe (0.3): significant and material.
 *
 * Reported beside it: p_value_real_edge = (1 + #{copies at least as good as the
 * real demeaned series}) / (k + 1), how much of the real timing edge shuffled
 * data explain (small: the edge comes from real temporal structure; near 1: the
 * strategy earns from exposure to the drift alone, like buy-and-hold).
 */
export async function permutationCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'leakage.permutation'
  if (!c.node.data) return skipped(name, 'the node declares no data file to permute')
  if (!c.data || !c.series) return errored(name, c.dataProblem ?? 'the data file cannot be read')
  const series = c.series
  const k = c.runner.kind === 'kit' ? c.t.kit_permutations : c.t.permutations
  // each shuffled copy is made when its run starts (seeded: the same copy every time): hundreds held at once were
  // hundreds of thousands of strings for the garbage collector
  const alter = returnAlterations(c.data, series)
  const copy = (i: number) => alter(copyVariant(i, true))
  let changed = false
  for (let i = 0; i < k && !changed; i++) changed = differs(copy(i), series)
  if (!changed) return errored(name, 'shuffling the returns left the data unchanged (too few rows, or prices that never move)')
  // A copy demeaned to a mean of exactly 0 is one a runner can tell from the real data (whose mean is not), and trade
  // honestly on there alone. When its returns can be recomputed from its positions, it runs on copies that keep the
  // data's mean (the same returns, reordered), and its positions there are scored on the copy demeaned: what it earns
  // is timing alone, as before, and no exposure to the drift earns anything
  const neutral = c.accounting?.convention === VERIFIABLE_CONVENTION && c.positions.size > 0
  // its positions are scored by date on each copy: dates the data does not have would score nothing
  const unmatched = neutral ? datesMatchNoData(c) : undefined
  if (unmatched) return errored(name, unmatched)
  // every other declared data file a process runner reads is shuffled with the same permutation of dates (other-data.ts)
  const rerun = (variant: ReturnVariant) => c.runner.run({data: alter(variant), permutation: {...variant, dates: series.dates}})
  // the real edge, as the copies are scored: the committed positions on the real data demeaned (no re-run needed)
  const real = neutral
    ? scoredOnDemeaned({ok: true, returns: c.returns, positions: c.positions}, alter({demean: true}), series.dates, c)
    : await rerun({demean: true})
  const runs = await inBatches(
    Array.from({length: k}, (_, i) => () => rerun(copyVariant(i, !neutral))),
    c.t.parallel,
  )
  const reruns = neutral ? runs.map((r, i) => scoredOnDemeaned(r, copy(i), series.dates, c)) : runs
  // a copy that failed, or whose returns say nothing (NaN reads as a Sharpe ratio of 0), is left out of nothing: a
  // runner that exits 1 (or writes NaN) wherever it earns on a shuffled copy would otherwise show only the copies it lost on
  const problems = reruns.map((r, i) =>
    !r.ok
      ? `copy ${i + 1}: ${r.reason}`
      : r.returns.size < 2
        ? `copy ${i + 1}: ${r.returns.size} return(s)`
        : [...r.returns.values()].some((x) => !Number.isFinite(x))
          ? `copy ${i + 1}: a return that is not a number`
          : undefined,
  )
  const failed = problems.filter((p): p is string => p !== undefined)
  if (failed.length > 0)
    return errored(
      name,
      `the strategy did not give returns on ${failed.length} of ${k} shuffled copies (${failed[0]}), so what it earns there is unknown`,
    )
  const ok = reruns
  const original = [...c.returns.values()]
  if (runs.every((r) => sameSeries([...r.returns.values()], original))) {
    return errored(name, 'every shuffled copy gave the committed returns: the runner did not read RIGOR_DATA')
  }
  const sharpes = ok.map((r) => perPeriodSharpe(r.returns.values()))
  const annualise = Math.sqrt(c.t.periods_per_year)
  // each kind of copy on its own (Stouffer's Z over its copies), at half the threshold: two tests, one false alarm rate
  const kinds = KINDS.filter((kind) => kind.first < ok.length).map((kind) => {
    const copies = ok.map((_, i) => i).filter((i) => i % 2 === kind.first)
    const z = copies.reduce((sum, i) => sum + sharpes[i]! * Math.sqrt(ok[i]!.returns.size - 1), 0) / Math.sqrt(copies.length)
    // Φ(−z), not 1 − Φ(z): the tail keeps its digits, where 1 − Φ(z) is 0 from z ≈ 8.3 on (reported as p = 0)
    const p = Math.min(1, standardNormalCdf(-z) * KINDS.length)
    const mean = (copies.reduce((sum, i) => sum + sharpes[i]!, 0) / copies.length) * annualise
    return {name: kind.name, p, mean}
  })
  const leaking = kinds.filter((kind) => kind.p < c.t.max_leak_p_value && kind.mean > c.t.max_permuted_sharpe)
  // the kind that decides: the first one leaking, else the one closest to it
  const worst = leaking[0] ?? kinds.reduce((a, b) => (b.p < a.p ? b : a))
  const pLeak = worst.p
  const meanPermuted = (sharpes.reduce((a, b) => a + b, 0) / sharpes.length) * annualise
  const realDemeaned = real.ok ? perPeriodSharpe(real.returns.values()) : undefined
  const figures = {
    p_value: pLeak,
    mean_shuffled_sharpe_annualised: meanPermuted,
    ...Object.fromEntries(
      kinds.flatMap((kind) => [
        [`p_value_${kind.name}`, kind.p],
        [`mean_sharpe_${kind.name}_annualised`, kind.mean],
      ]),
    ),
    real_demeaned_sharpe_annualised: realDemeaned === undefined ? null : realDemeaned * annualise,
    p_value_real_edge: realDemeaned === undefined ? null : (1 + sharpes.filter((s) => s >= realDemeaned).length) / (ok.length + 1),
    permutations: ok.length,
    runner: c.runner.kind === 'kit' ? 'built-in kit, in process' : "the node's command",
  }
  const threshold = {max_leak_p_value: c.t.max_leak_p_value, max_permuted_sharpe_annualised: c.t.max_permuted_sharpe}
  if (leaking.length === 0) return {check: {name, result: 'pass', figures, threshold}, issues: []}
  return {
    check: {name, result: 'fail', figures, threshold},
    issues: [
      {
        severity: 'critical',
        category: 'leakage',
        description: `on the ${worst.name === 'shuffled' ? 'shuffled' : 'sign-flipped'} ones of ${ok.length} copies of the data with demeaned, ${worst.name === 'shuffled' ? 'shuffled' : 'randomly signed'} daily returns (nothing left to earn) the strategy still earns an annualised Sharpe ratio of ${worst.mean.toFixed(2)} (p = ${pLeak.toPrecision(2)}): it uses information it could not have had`,
        location: 'the runner: how prices and positions are aligned',
        remediation: 'make the position at day t depend only on data up to t, and earn the return of day t+1',
      },
    ],
  }
}

/**
 * A copy's run scored on the same copy demeaned: its positions' returns (close_to_close, before costs: costs only
 * lower what timing earns) on the declared price column of the demeaned copy, on the dates the run reported.
 */
function scoredOnDemeaned(run: Rerun, demeaned: RerunData, dates: readonly string[], c: CheckContext): Rerun {
  if (!run.ok) return run
  if (run.positions.size === 0) return {...run, ok: false, reason: 'it wrote no positions.csv, which the committed run has'}
  const prices = declaredPrices(demeaned, c)
  if (!prices) return {...run, ok: false, reason: `the copy has no "${c.accounting?.price}" column`}
  const scored = recomputeReturns({dates, prices, column: c.accounting?.price ?? 'close'}, run.positions, run.returns.keys(), 0)
  return {...run, returns: scored.returns}
}

/** The copy's prices of the column the runner declared (the close when it names none, from the copy's numbers). */
function declaredPrices(copy: RerunData, c: CheckContext): Float64Array | undefined {
  if (copy.series && (!c.accounting?.price || declaredPriceColumn(c.data!, c.accounting) === c.data!.columns.close))
    return copy.series.close
  const table = copy.table()
  const column = declaredPriceColumn(table, c.accounting)
  return column === undefined ? undefined : Float64Array.from(table.rows, (row) => Number(row[column]))
}

const sameSeries = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
