import * as z from 'zod'
import {InputSpec} from './inputs.js'
import {FamilyName, NodeId, Params, ParamValue, RunSpec, TeamName, TrialsOutside} from './common.js'

export const SeedNode = z.strictObject({
  id: NodeId,
  team: TeamName.optional(),
  run: RunSpec,
  params: Params.default({}),
  data: z.string().optional(),
  requires: z.array(NodeId).default([]),
  /** files of upstream nodes' out/ to read: [{from: ../train, files: [model.*], as: model}] */
  inputs: z.array(InputSpec).max(32).optional(),
  priority: z.number().default(0),
  family: FamilyName.optional(),
  trials_outside: TrialsOutside.optional(),
})

const Range = z.strictObject({
  min: z.number(),
  max: z.number(),
  log: z.boolean().optional(),
  int: z.boolean().optional(),
})
const Choices = z.strictObject({choices: z.array(ParamValue).min(1)})

export const SeedSweep = z
  .strictObject({
    id: NodeId,
    team: TeamName.optional(),
    run: RunSpec,
    params: Params.default({}),
    data: z.string().optional(),
    requires: z.array(NodeId).default([]),
    inputs: z.array(InputSpec).max(32).optional(),
    priority: z.number().default(0),
    /** the family of every variant (default: the sweep's variants on its data) */
    family: FamilyName.optional(),
    /** trials of this sweep made outside rigor, counted once for the family */
    trials_outside: TrialsOutside.optional(),
    grid: z.record(z.string(), z.array(ParamValue).min(1)).optional(),
    random: z
      .strictObject({
        n: z.number().int().positive().max(10_000),
        seed: z.number().int().default(0),
        params: z.record(z.string(), z.union([Range, Choices])),
      })
      .optional(),
  })
  .refine((s) => Boolean(s.grid) !== Boolean(s.random), {message: 'a sweep needs exactly one of grid or random', path: ['grid']})

/** a seed spec: `rigor seed <spec.yaml>` */
export const SeedSpec = z.strictObject({
  nodes: z.array(SeedNode).default([]),
  sweeps: z.array(SeedSweep).default([]),
})
export type SeedSpec = z.infer<typeof SeedSpec>
export type SeedNode = z.infer<typeof SeedNode>
export type SeedSweep = z.infer<typeof SeedSweep>
