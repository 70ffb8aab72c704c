import * as z from 'zod'
import {InputSpec} from './inputs.js'
import {FamilyName, NodeId, Params, ParamValue, RunSpec, TeamName, TrialsOutside} from './common.js'

/** what a node and a sweep both say (a sweep's apply to each of its variants) */
const NodeFields = {
  id: NodeId,
  team: TeamName.optional(),
  run: RunSpec,
  params: Params.default({}),
  data: z.string().optional(),
  requires: z.array(NodeId).default([]),
  /** files of upstream nodes' out/ to read: [{from: ../train, files: [model.*], as: model}] */
  inputs: z.array(InputSpec).max(32).optional(),
  priority: z.number().default(0),
  /** a sweep's default: the sweep's variants on its data */
  family: FamilyName.optional(),
  /** trials made outside rigor (a sweep's counted once for the family) */
  trials_outside: TrialsOutside.optional(),
}

export const SeedNode = z.strictObject(NodeFields)

const Range = z.strictObject({
  min: z.number(),
  max: z.number(),
  log: z.boolean().optional(),
  int: z.boolean().optional(),
})
const Choices = z.strictObject({choices: z.array(ParamValue).min(1)})

export const SeedSweep = z
  .strictObject({
    ...NodeFields,
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
