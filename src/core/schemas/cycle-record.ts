import * as z from 'zod'
import {IsoTime, NodeId} from './common.js'
import {CycleStepName} from './cycle-config.js'

/**
 * pending: not started yet; running: started (a cycle interrupted there runs it
 * again when resumed); succeeded; failed: threw on every attempt; stopped: ended
 * early for a reason that is no fault (budget_exhausted); skipped: `skip: true`
 * or --skip; blocked: a step it needs failed; cancelled: `rigor cycle cancel`.
 */
export const CycleStepStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'stopped', 'skipped', 'blocked', 'cancelled'])
export type CycleStepStatus = z.infer<typeof CycleStepStatus>

/** running: the cycle is in progress, or was interrupted and resumes with the next `rigor cycle` */
export const CycleOutcome = z.enum(['running', 'succeeded', 'failed', 'stopped', 'cancelled'])
export type CycleOutcome = z.infer<typeof CycleOutcome>

export const CycleStepRecord = z.strictObject({
  name: CycleStepName,
  status: CycleStepStatus,
  attempts: z.number().int().nonnegative(),
  started_at: IsoTime.optional(),
  finished_at: IsoTime.optional(),
  /** why the last attempt failed */
  error: z.string().optional(),
  /** how to fix what failed, when rigor knows */
  fix: z.string().optional(),
  /** why it stopped (budget_exhausted) or what held it back (the failed step) */
  reason: z.string().optional(),
  /** what its paid calls cost: agent calls, and the verdicts of the runs it worked */
  cost_usd: z.number().nonnegative(),
  /** the step's own result, as `rigor cycle --json` prints it */
  result: z.unknown().optional(),
  /** assess: the nodes judged so far, so a resumed cycle does not pay for them twice */
  done_nodes: z.array(NodeId).optional(),
})
export type CycleStepRecord = z.infer<typeof CycleStepRecord>

/**
 * .git/rigor/cycle.json (the cycle in progress) and .git/rigor/cycles/<id>.json
 * (each finished one): local to the checkout, never committed (docs/cycle.md).
 */
export const CycleRecord = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(/^[0-9TZ-]+$/, 'a cycle id is its start time with - for : and .'),
  started_at: IsoTime,
  finished_at: IsoTime.nullable(),
  host: z.string(),
  pid: z.number().int().positive(),
  /** the process's start time (Linux clock ticks): tells the cycle from a later process that reused its pid */
  pid_start: z.number().nullable(),
  worker: z.string(),
  outcome: CycleOutcome,
  steps: z.array(CycleStepRecord),
  cost_usd: z.number().nonnegative(),
})
export type CycleRecord = z.infer<typeof CycleRecord>
