import {z} from 'zod'
import {Checksum, IsoTime, NodeId} from './common.js'

export const AuditCheck = z.strictObject({
  name: z.string(),
  result: z.enum(['pass', 'fail', 'skipped']),
  /** the numbers the check computed, e.g. {p_value: 0.01, permutations: 50} */
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

/** audits/<id>/<date>-<auditor>.md front matter; the checksum covers it and the markdown body */
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
  checks: z.array(AuditCheck),
  issues: z.array(AuditIssue).default([]),
  checksum: Checksum,
})
export type AuditFrontMatter = z.infer<typeof AuditFrontMatter>
