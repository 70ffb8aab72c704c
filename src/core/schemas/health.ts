import * as z from 'zod'

/**
 * `health:` in rigor.yaml: the thresholds `rigor health` checks (exit 1 and a
 * notification when one is crossed). Each is optional: a check without a
 * threshold is reported, never failed. See docs/observability.md.
 */
export const HealthThresholds = z.strictObject({
  /** the lowest health score (0-100, the formula of `rigor report`, for today UTC) that is still healthy */
  min_score: z.number().min(0).max(100).optional(),
  /** the most accepted nodes that may wait for their first audit */
  max_audit_backlog: z.number().int().nonnegative().optional(),
  /** the highest share (0-1) of audited nodes whose newest audit is a FAIL */
  max_failed_audit_rate: z.number().min(0).max(1).optional(),
  /** the most running nodes whose lease has passed (their worker is gone; `rigor supervise` takes them back) */
  max_stuck_leases: z.number().int().nonnegative().optional(),
})
export type HealthThresholds = z.infer<typeof HealthThresholds>
