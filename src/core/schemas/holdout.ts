import * as z from 'zod'
import {Checksum, IsoTime, NodeId} from './common.js'
import {isoTimeMillis} from '../validation.js'

const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}/, 'must be a date such as 2024-01-01')
  .refine((s) => !Number.isNaN(isoTimeMillis(s)), 'must be a date such as 2024-01-01 (a day the month has)')

/**
 * `holdout:` in rigor.yaml: the rows of every data file that research runs never
 * see, from a date on or the last fraction of the rows. Audits open it.
 */
export const HoldoutConfig = z
  .strictObject({
    from: IsoDate.optional(),
    fraction: z.number().gt(0).lt(1).optional(),
    /** the annualised Sharpe ratio the holdout period must reach for the deploy gate */
    min_sharpe: z.number().default(0),
  })
  .refine((h) => (h.from === undefined) !== (h.fraction === undefined), {
    message: 'holdout needs exactly one of from (a date) or fraction (e.g. 0.2)',
    path: ['from'],
  })
export type HoldoutConfig = z.infer<typeof HoldoutConfig>

/**
 * audits/<id>/holdout-<key>.yaml: one opening of the sealed holdout, for one
 * version of a node's artifacts. Committed with `Rigor-Action: holdout`; every
 * opening of the same family counts against how clean the holdout still is.
 */
export const HoldoutOpening = z.strictObject({
  node: NodeId,
  /** the family key (see auditor/family.ts): openings are counted per family */
  family: z.string(),
  family_rule: z.string(),
  /** sha256 of the node's artifacts when opened: the holdout is scored once per version */
  artifacts_key: z.string(),
  opened_at: IsoTime,
  by: z.string(),
  data: z.string(),
  from: z.string(),
  to: z.string(),
  periods: z.number().int().nonnegative(),
  sharpe: z.number(),
  sharpe_per_period: z.number(),
  dsr: z.number(),
  trials: z.number().int().positive(),
  max_drawdown: z.number(),
  total_return: z.number(),
  min_sharpe: z.number(),
  passed: z.boolean(),
  /** whether every research run of the family ran in the sandbox, where the data file's own path showed only research rows */
  sealed: z.boolean(),
  why: z.array(z.string()).default([]),
  /** how many times this family's holdout has been opened, this one included */
  openings_in_family: z.number().int().positive(),
  checksum: Checksum,
})
export type HoldoutOpening = z.infer<typeof HoldoutOpening>
