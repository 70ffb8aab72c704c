import * as z from 'zod'
import {NodeInput} from './inputs.js'
import {Checksum, FamilyName, IsoTime, NodeId, NodeStatus, Params, RunSpec, TrialsOutside} from './common.js'

/** experiments/<id>/node.yaml */
export const NodeFile = z.strictObject({
  id: NodeId,
  team: z.string().min(1),
  status: NodeStatus,
  run: RunSpec,
  params: Params.default({}),
  data: z.string().optional(),
  requires: z.array(NodeId).default([]),
  /** files of upstream nodes' committed out/ this node reads (each `from` is also in requires) */
  inputs: z.array(NodeInput).optional(),
  priority: z.number().default(0),
  /** lineage parent: the sweep node for a variant, the source node for a rule spawn */
  parent: NodeId.optional(),
  /** how many rule-spawned ancestors this node has (itself included when spawned) */
  generation: z.number().int().nonnegative().default(0),
  /** the DSR/PBO family; default: the variants of one sweep, or the children of one parent, on the same data */
  family: FamilyName.optional(),
  /** trials of this family made outside rigor, counted in DSR's N */
  trials_outside: TrialsOutside.optional(),
  spawned_by: z.strictObject({rule: z.string(), from: NodeId}).optional(),
  seeded_by: z.string().optional(),
  designed_by: z.string().optional(),
  /** a sweep's own node groups its variants and is not run */
  sweep: z.boolean().optional(),
  created_at: IsoTime,
  /** position within the seed or spawn that created it: first-come order among equal created_at */
  seq: z.number().int().nonnegative().optional(),
  attempt: z.number().int().nonnegative().default(0),
  worker: z.string().optional(),
  started_at: IsoTime.optional(),
  lease_until: IsoTime.optional(),
  reason: z.string().optional(),
  /**
   * what its runs that finished on `day` (UTC) cost, when a rerun took their verdicts off the tree: the day's budget
   * still counts the money spent
   */
  spent: z.strictObject({day: z.iso.date(), usd: z.number().nonnegative()}).optional(),
  archived: z.boolean().optional(),
  checksum: Checksum,
})
export type NodeFile = z.infer<typeof NodeFile>
export type NodeDraft = Omit<z.input<typeof NodeFile>, 'checksum'>
