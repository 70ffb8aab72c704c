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
  /** whether the runner ran in the bwrap sandbox (absent on verdicts no runner produced, and on older ones) */
  sandbox: z.enum(['on', 'off']).optional(),
  checksum: Checksum,
})
export type VerdictFile = z.infer<typeof VerdictFile>
export type VerdictDraft = Omit<z.input<typeof VerdictFile>, 'checksum'>

/** $RIGOR_OUT/verdict.json, as written by a runner */
export const RunnerVerdict = z.object({
  metrics: z.record(z.string(), z.number()).default({}),
  status: z.enum(['proven_accepted', 'proven_rejected', 'inconclusive']).optional(),
  notes: z.string().optional(),
  cost: Cost.optional(),
  artifacts: z.array(z.string().min(1)).default([]),
})
export type RunnerVerdict = z.infer<typeof RunnerVerdict>
