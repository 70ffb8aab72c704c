import {z} from 'zod'
import {Checksum, Cost, IsoTime, NodeId} from './common.js'

export const FinalRunStatus = z.enum(['proven_accepted', 'proven_rejected', 'inconclusive', 'cancelled'])

export const GateResult = z.strictObject({
  name: z.string(),
  result: z.enum(['accept', 'reject', 'none', 'error']),
  detail: z.string().optional(),
})
export type GateResult = z.infer<typeof GateResult>

/** experiments/<id>/verdict.yaml */
export const VerdictFile = z.strictObject({
  node: NodeId,
  status: FinalRunStatus,
  decided_by: z.enum(['runner', 'gate', 'no_gate', 'failure', 'cancel']),
  reason: z.string().optional(),
  metrics: z.record(z.string(), z.number()).default({}),
  notes: z.string().optional(),
  cost: Cost.optional(),
  artifacts: z.record(z.string(), z.string()).default({}),
  gates: z.array(GateResult).default([]),
  spawned: z.array(NodeId).default([]),
  exit_code: z.number().int().nullable().optional(),
  worker: z.string(),
  attempt: z.number().int().positive(),
  started_at: IsoTime,
  finished_at: IsoTime,
  duration_s: z.number().nonnegative(),
  seed: z.number().int().default(0),
  checksum: Checksum,
})
export type VerdictFile = z.infer<typeof VerdictFile>
export type VerdictDraft = Omit<z.input<typeof VerdictFile>, 'checksum'>

/**
 * How a runner's returns follow from its positions, so the auditor can
 * recompute them. `close_to_close` (the kit's): the position at the close of
 * row t-1 times the return of `price` from row t-1 to row t, minus `cost_bps`
 * per unit of position changed at that close. Any other convention is recorded
 * but cannot be verified.
 */
export const RunnerAccounting = z.object({
  convention: z.string().min(1),
  /** the price column (any header spelling the price reader accepts); default: adjusted close if present, else close */
  price: z.string().min(1).optional(),
  cost_bps: z.number().nonnegative().optional(),
})
export type RunnerAccounting = z.infer<typeof RunnerAccounting>

/** $RIGOR_OUT/verdict.json, as written by a runner */
export const RunnerVerdict = z.object({
  /** how returns.csv follows from positions.csv (the auditor's accounting check) */
  accounting: RunnerAccounting.optional(),
  /** trials the runner made that rigor never saw (e.g. an internal parameter search): counted in the family's DSR */
  trials_outside: z.number().int().nonnegative().optional(),
  metrics: z.record(z.string(), z.number()).default({}),
  status: z.enum(['proven_accepted', 'proven_rejected', 'inconclusive']).optional(),
  notes: z.string().optional(),
  cost: Cost.optional(),
  artifacts: z.array(z.string().min(1)).default([]),
})
export type RunnerVerdict = z.infer<typeof RunnerVerdict>
