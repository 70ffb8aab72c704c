import {standardDeviation} from '../../stats/index.js'
import {recomputeReturns, VERIFIABLE_CONVENTION} from '../accounting.js'
import {inBatches} from '../rerun.js'
import {annualised, datesMatchNoData, errored, skipped, type CheckContext, type CheckOutcome} from './context.js'

/**
 * The edge must survive the configured multiple of the transaction costs.
 * Costs rise one way only: a runner whose returns rigor can recompute
 * (close_to_close) is re-priced from its committed positions at the multiplied
 * rate; any other runner is re-run with RIGOR_COST_MULTIPLIER set (params are
 * never touched, so nothing is multiplied twice).
 */
export async function costsCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'robustness.costs'
  const m = c.t.cost_multiplier
  let atCosts: number[]
  let method: string
  let cost = c.costBps * m
  if (c.accounting?.convention === VERIFIABLE_CONVENTION && c.basis && c.positions.size > 0) {
    cost = (c.accounting.cost_bps ?? c.costBps) * m
    const recomputed = recomputeReturns(c.basis, c.positions, c.returns.keys(), cost)
    if (recomputed.unreachable.length > 0)
      return errored(name, datesMatchNoData(c) ?? `cannot re-price ${recomputed.unreachable[0]!.date}: ${recomputed.unreachable[0]!.why}`)
    atCosts = [...recomputed.returns.values()]
    method = 're-priced from positions.csv'
  } else {
    const rerun = await c.runner.run({costMultiplier: m})
    if (!rerun.ok) return errored(name, `the re-run at higher costs failed: ${rerun.reason}`)
    atCosts = [...rerun.returns.values()]
    const original = [...c.returns.values()]
    const traded = new Set(c.positions.values()).size > 1
    if (traded && atCosts.length === original.length && atCosts.every((r, i) => r === original[i])) {
      return errored(name, `the runner ignored RIGOR_COST_MULTIPLIER=${m}: its returns did not change although it trades`)
    }
    method = c.runner.kind === 'kit' ? 're-run in process with RIGOR_COST_MULTIPLIER' : 're-run with RIGOR_COST_MULTIPLIER'
  }
  const sharpe = annualised(atCosts, c.t)
  const figures = {cost_bps: cost, sharpe_at_costs_annualised: sharpe, sharpe_annualised: annualised(c.returns.values(), c.t), method}
  const threshold = {min_sharpe_at_costs_annualised: c.t.min_sharpe_at_costs, multiplier: m}
  if (sharpe > c.t.min_sharpe_at_costs) return {check: {name, result: 'pass', figures, threshold}, issues: []}
  return {
    check: {name, result: 'fail', figures, threshold},
    issues: [
      {
        severity: 'major',
        category: 'other',
        description: `at ${m}x the costs (${cost} bps per unit traded) the annualised Sharpe ratio falls to ${sharpe.toFixed(2)}`,
        location: 'turnover of the strategy',
        remediation: 'trade less (longer holding, a no-trade band) before deploying',
      },
    ],
  }
}

/** Re-runs with other seeds: a gain smaller than the seed-to-seed noise is no gain. */
export async function seedsCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'robustness.seeds'
  const reruns = await inBatches(
    c.t.seeds.map((seed) => () => c.runner.run({seed})),
    c.t.parallel,
  )
  const failures = reruns.flatMap((r, i) => (r.ok ? [] : [`seed ${c.t.seeds[i]}: ${r.reason}`]))
  if (failures.length === reruns.length) return errored(name, `every re-run with another seed failed (${failures[0]})`)
  // leaving the failed seeds out would judge only the lucky ones: a runner that exits 1 when a seed goes badly would pass
  if (failures.length > 0)
    return errored(
      name,
      `the strategy failed with ${failures.length} of ${reruns.length} other seeds (${failures[0]}), so the spread over seeds is unknown`,
    )
  const sharpes = [annualised(c.returns.values(), c.t), ...reruns.map((r) => annualised(r.returns.values(), c.t))]
  const noise = standardDeviation(sharpes)
  const edge = Math.min(...sharpes)
  const figures = {seeds: [0, ...c.t.seeds], sharpes_annualised: sharpes, seed_noise_annualised: noise, weakest_sharpe_annualised: edge}
  const threshold = {seed_noise_multiple: c.t.seed_noise_multiple}
  if (edge > 0 && edge > c.t.seed_noise_multiple * noise) return {check: {name, result: 'pass', figures, threshold}, issues: []}
  if (edge <= 0 && noise === 0)
    return skipped(name, 'the strategy has no positive edge for seeds to test (its Sharpe ratio is the same with every seed)', figures)
  return {
    check: {name, result: 'fail', figures, threshold},
    issues: [
      {
        severity: 'major',
        category: 'overfitting',
        description: `the annualised Sharpe ratio varies by ${noise.toFixed(2)} from seed to seed and is ${edge.toFixed(2)} at worst: the edge is not larger than the noise`,
        location: 'everything random in the runner (RIGOR_SEED)',
        remediation: 'average over seeds, or remove the randomness the result depends on',
      },
    ],
  }
}
