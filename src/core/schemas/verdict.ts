import * as z from 'zod'
import {InputRecord, RecordedOutputPath, StoredArtifact} from './inputs.js'
import {Checksum, Cost, IsoTime, NodeId, ReportedCost} from './common.js'

export const FinalRunStatus = z.enum(['proven_accepted', 'proven_rejected', 'inconclusive', 'cancelled'])

export const GateResult = z.strictObject({
  name: z.string(),
  result: z.enum(['accept', 'reject', 'none', 'error']),
  detail: z.string().optional(),
})
export type GateResult = z.infer<typeof GateResult>

/**
 * Something the run produced that is not in the commit: an output file git or a
 * limit refused, or metrics beyond the limit. With `count`, the entry stands for
 * that many of the same kind, the first of which is `path`.
 */
export const Omission = z.strictObject({
  path: z.string(),
  reason: z.string(),
  bytes: z.number().int().nonnegative().optional(),
  count: z.number().int().positive().optional(),
})
export type Omission = z.infer<typeof Omission>

/** A text kept in part (notes, out/run.log): its size as the run wrote it and the bytes kept. */
export const Truncation = z.strictObject({path: z.string(), bytes: z.number().int().nonnegative(), kept: z.number().int().nonnegative()})
export type Truncation = z.infer<typeof Truncation>

/** experiments/<id>/verdict.yaml */
export const VerdictFile = z.strictObject({
  node: NodeId,
  status: FinalRunStatus,
  decided_by: z.enum(['runner', 'gate', 'no_gate', 'failure', 'cancel']),
  reason: z.string().optional(),
  metrics: z.record(z.string(), z.number()).default({}),
  notes: z.string().optional(),
  cost: Cost.optional(),
  artifacts: z.record(RecordedOutputPath, z.string()).default({}),
  // optional rather than defaulted, so verdicts written before these fields keep their checksums
  omitted: z.array(Omission).optional(),
  truncated: z.array(Truncation).optional(),
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
  /** the upstream files the run read (stage inputs), each with its sha256 */
  inputs: z.array(InputRecord).optional(),
  /** outputs over runner.limits.file_size kept in the artifact store, by content address */
  stored: z.array(StoredArtifact).optional(),
  /** what this run was: command, params, data and the bytes of every input; a retrained upstream gives a new one */
  fingerprint: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .optional(),
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
  cost: ReportedCost.optional(),
  artifacts: z.array(z.string().min(1)).default([]),
})
export type RunnerVerdict = z.infer<typeof RunnerVerdict>
