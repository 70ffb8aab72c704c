import {z} from 'zod'
import {validate} from '../documents.js'

/** The pass/fail thresholds of the audit checks; `audit:` in rigor.yaml overrides any of them. */
export const AuditThresholds = z.strictObject({
  truncation_cuts: z.array(z.number().gt(0).lt(1)).min(1).default([0.6, 0.75, 0.9]),
  position_tolerance: z.number().nonnegative().default(1e-9),
  permutations: z.number().int().min(2).max(500).default(12),
  /** annualised Sharpe: a strategy that keeps more than this on shuffled data reads the future */
  max_permuted_sharpe: z.number().default(0.5),
  min_dsr: z.number().min(0).max(1).default(0.95),
  max_pbo: z.number().min(0).max(1).default(0.5),
  min_pbo_trials: z.number().int().min(2).default(4),
  pbo_splits: z.number().int().min(2).max(20).default(16),
  cost_multiplier: z.number().min(1).default(2),
  /** annualised Sharpe the edge must keep at the multiplied costs */
  min_sharpe_at_costs: z.number().default(0),
  seeds: z.array(z.number().int()).min(1).default([1, 2, 3]),
  /** the edge must exceed this many standard deviations of the seed-to-seed Sharpe */
  seed_noise_multiple: z.number().nonnegative().default(2),
  periods_per_year: z.number().positive().default(252),
  parallel: z.number().int().min(1).max(16).default(2),
})
export type AuditThresholds = z.infer<typeof AuditThresholds>

export const auditThresholds = (raw: unknown): AuditThresholds => validate(AuditThresholds, raw ?? {}, 'rigor.yaml')
