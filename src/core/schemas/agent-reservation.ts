import * as z from 'zod'
import {Checksum, IsoTime} from './common.js'

/**
 * reports/agent-reservations/<time>-<kind>-<pid>-<random>.yaml: an agent call in flight.
 * The budget counts it as spent until the call's record replaces it (in one commit), or
 * until `expires_at` when the process that made it died mid-call. Committed, so two
 * processes, or two clones sharing a remote, cannot both take the day's last dollars.
 */
export const AgentReservationFile = z.strictObject({
  kind: z.enum(['design', 'assess']),
  agent: z.string(),
  /** what the call's earlier attempts cost, plus the reservation for the attempt starting now */
  reserved_usd: z.number().nonnegative(),
  reserved_at: IsoTime,
  /** past this, the reservation counts nothing: the attempt's timeout and a margin */
  expires_at: IsoTime,
  checksum: Checksum,
})
export type AgentReservationFile = z.infer<typeof AgentReservationFile>
