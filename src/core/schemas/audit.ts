import * as z from 'zod'
import {Checksum, IsoTime, NodeId} from './common.js'

export const AuditCheck = z.strictObject({
  name: z.string(),
  /**
   * pass / fail: a finding about the strategy; skipped: the check does not
   * apply (with the reason); error: the check could not run (not a finding, but
   * the audit is incomplete); info: reported, does not decide (PBO by default)
   */
  result: z.enum(['pass', 'fail', 'skipped', 'error', 'info']),
  /** the numbers the check computed, e.g. {p_value: 0.01, permutations: 50}; a name says its unit (`_annualised`, `_per_period`, `_bps`) */
  figures: z.record(z.string(), z.unknown()).default({}),
  /** the pass/fail threshold applied, as configured */
  threshold: z.record(z.string(), z.unknown()).optional(),
  reason: z.string().optional(),
})
export type AuditCheck = z.infer<typeof AuditCheck>

export const AuditIssue = z.strictObject({
  id: z.string(),
  severity: z.enum(['critical', 'major', 'minor']),
  category: z.enum(['lookahead', 'leakage', 'overfitting', 'documentation', 'other']),
  description: z.string(),
  location: z.string(),
  remediation: z.string(),
})
export type AuditIssue = z.infer<typeof AuditIssue>

/** The DSR/PBO family the audit deflated by, and how N was counted. */
export const AuditFamily = z.strictObject({
  rule: z.string(),
  trials: z.number().int().positive(),
  trials_in_rigor: z.number().int().nonnegative(),
  trials_outside: z.number().int().nonnegative(),
  counted: z.string(),
})

/**
 * The holdout result of an audit (filled by the sealed-holdout step): the
 * period the research never saw, scored once per artifact version.
 */
export const AuditHoldout = z.looseObject({
  /** one line for the report head, e.g. "sharpe 0.81 annualised over 504 periods; opened 1 time" */
  summary: z.string(),
  /** ISO date of the first holdout row */
  from: z.string().optional(),
  passed: z.boolean().optional(),
})
export type AuditHoldout = z.infer<typeof AuditHoldout>

/**
 * The full audit record: audits/<id>/<date>-<auditor>.json (a sidecar of the
 * markdown report, checksummed), or the front matter of a report written before
 * the sidecar existed.
 */
export const AuditFrontMatter = z.strictObject({
  verdict: z.enum(['PASS', 'FAIL']),
  auditor: z.string().min(1),
  audited_at: IsoTime,
  covers: z.strictObject({
    node: NodeId,
    /** the state-branch commit the audit looked at (a SHA-1 or a SHA-256 id) */
    commit: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/),
    /** the verdict's artifact checksums at audit time (`out/<path>` -> sha256:...) */
    artifacts: z.record(z.string(), z.string()),
  }),
  summary: z.string().optional(),
  family: AuditFamily.optional(),
  holdout: AuditHoldout.optional(),
  checks: z.array(AuditCheck),
  issues: z.array(AuditIssue).default([]),
  checksum: Checksum,
})
export type AuditFrontMatter = z.infer<typeof AuditFrontMatter>
export type AuditRecord = AuditFrontMatter

/**
 * The front matter of audits/<id>/<date>-<auditor>.md: short, so the report
 * GitHub renders starts with the verdict. `details` names the sidecar with the
 * checks and issues and its checksum, so the report's own checksum covers them.
 */
export const AuditHead = z.strictObject({
  verdict: z.enum(['PASS', 'FAIL']),
  node: NodeId,
  auditor: z.string().min(1),
  audited_at: IsoTime,
  summary: z.string(),
  holdout: z.string().optional(),
  details: z.strictObject({file: z.string().min(1), checksum: Checksum}),
  checksum: Checksum,
})
export type AuditHead = z.infer<typeof AuditHead>

/** The front matter of an audit report as `rigor verify` checks it: the short head, or the whole record of a report written before the sidecar existed. */
export const AuditReportFront = z.union([AuditHead, AuditFrontMatter])
