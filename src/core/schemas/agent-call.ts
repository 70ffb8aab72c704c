import * as z from 'zod'
import {Checksum, Cost, IsoTime, NodeId} from './common.js'

/** reports/agent-calls/<time>-<kind>-<pid>-<random>.yaml (before, <time>-<kind>-<pid>.yaml): one call of the agent (design or assess), which the budget counts */
export const AgentCallFile = z.strictObject({
  kind: z.enum(['design', 'assess']),
  agent: z.string(),
  cost: Cost,
  attempts: z.number().int().nonnegative(),
  failures: z.array(z.string()).default([]),
  /** attempts whose RIGOR_COST line was missing or unreadable, each counted at what the budget held for it */
  cost_unread: z.array(z.string()).optional(),
  node: NodeId.optional(),
  /** how long the call took in seconds, retries and backoff included (optional: records written before rigor kept it have none) */
  duration_s: z.number().nonnegative().optional(),
  /** the agent's answer (records written before rigor stopped keeping it here) */
  text: z.string().optional(),
  called_at: IsoTime,
  checksum: Checksum,
})
export type AgentCallFile = z.infer<typeof AgentCallFile>
