import * as z from 'zod'
import {Checksum, IsoTime, NodeId} from './common.js'

export const RankObjective = z.enum(['return', 'sharpe', 'drawdown', 'pareto'])
export type RankObjective = z.infer<typeof RankObjective>

/** reports/rankings/<timestamp>-<objective>.yaml */
export const RankingFile = z.strictObject({
  objective: RankObjective,
  metric: z.string(),
  keep: z.number().int().positive().nullable(),
  team: z.string().nullable(),
  ranked_at: IsoTime,
  by: z.string(),
  ranked: z.array(
    z.strictObject({
      rank: z.number().int().positive(),
      id: NodeId,
      value: z.number(),
      sharpe: z.number().nullable(),
      max_drawdown: z.number().nullable(),
      total_return: z.number().nullable(),
      kept: z.boolean(),
    }),
  ),
  kept: z.array(NodeId),
  archived: z.array(NodeId),
  checksum: Checksum,
})
export type RankingFile = z.infer<typeof RankingFile>
