import * as z from 'zod'
import {NodeId} from './common.js'

/** A reviewer's sign-off of a major issue that may stand (e.g. a Sharpe ratio above the plausible range, explained). */
export const SignOff = z.strictObject({
  node: NodeId,
  /** the issue kind signed off; only `implausible_sharpe` can be */
  issue: z.literal('implausible_sharpe'),
  by: z.string().min(1),
  reason: z.string().min(1),
})
export type SignOff = z.infer<typeof SignOff>

/**
 * The audit's thresholds and switches: `audit:` in rigor.yaml overrides any of
 * them (read from the committed branch tip, so a runner cannot loosen them).
 * Sharpe ratios here are annualised at `periods_per_year`.
 */
export const AuditThresholds = z.strictObject({
  truncation_cuts: z.array(z.number().gt(0).lt(1)).min(1).default([0.6, 0.75, 0.9]),
  position_tolerance: z.number().nonnegative().default(1e-9),
  /** shuffled copies for a runner rigor starts as a process (each copy is a full run) */
  permutations: z.number().int().min(2).max(1000).default(12),
  /** shuffled copies for the built-in kit, run in process: enough for a p-value below 0.01 */
  kit_permutations: z.number().int().min(2).max(5000).default(199),
  /** leakage is found when the p-value of the edge on shuffled copies is below this ... */
  max_leak_p_value: z.number().gt(0).lt(1).default(0.01),
  /** ... and the mean annualised Sharpe on the shuffled copies is above this (a leak too small to matter is reported, not failed) */
  max_permuted_sharpe: z.number().default(0.3),
  min_dsr: z.number().min(0).max(1).default(0.95),
  max_pbo: z.number().min(0).max(1).default(0.5),
  min_pbo_trials: z.number().int().min(2).default(4),
  pbo_splits: z.number().int().min(2).max(20).default(16),
  /** PBO is reported; it fails the audit only when this is true (DSR decides overfitting) */
  pbo_decides: z.boolean().default(false),
  cost_multiplier: z.number().min(1).default(2),
  /** annualised Sharpe the edge must keep at the multiplied costs */
  min_sharpe_at_costs: z.number().default(0),
  seeds: z.array(z.number().int()).min(1).default([1, 2, 3]),
  /** the edge must exceed this many standard deviations of the seed-to-seed Sharpe */
  seed_noise_multiple: z.number().nonnegative().default(2),
  /** largest difference between a committed return and the one recomputed from positions and prices */
  accounting_tolerance: z.number().nonnegative().default(1e-6),
  /** a runner whose returns rigor cannot recompute may pass only when this is true */
  allow_unverified_returns: z.boolean().default(false),
  /** an annualised Sharpe ratio above this is a major issue until a reviewer signs it off */
  max_plausible_sharpe: z.number().positive().default(4),
  sign_offs: z.array(SignOff).default([]),
  /** draw the report's equity axis on a log scale */
  chart_log_scale: z.boolean().default(false),
  periods_per_year: z.number().positive().default(252),
  parallel: z.number().int().min(1).max(16).default(2),
})
export type AuditThresholds = z.infer<typeof AuditThresholds>
