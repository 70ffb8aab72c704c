import * as z from 'zod'
import {IsoTime} from './common.js'

/**
 * How a scheduled cycle ended: its exit code read the way rigor cycle sets it (0 ok, 3 stopped on the
 * budget, 129/130/143 for a signal, anything else a failure).
 */
export const ScheduledRunOutcome = z.enum(['ok', 'stopped', 'failed', 'interrupted'])
export type ScheduledRunOutcome = z.infer<typeof ScheduledRunOutcome>

/** One line of .git/rigor/logs/runs.jsonl: a cycle started by `rigor schedule run` (the timer or cron line). */
export const ScheduledRun = z.strictObject({
  started_at: IsoTime,
  finished_at: IsoTime,
  /** the cycle's argv after rigor's own path */
  args: z.array(z.string()),
  /** null when the cycle could not be started or was killed by a signal */
  exit_code: z.number().int().nullable(),
  outcome: ScheduledRunOutcome,
  /** the run's output, beside runs.jsonl */
  log: z.string(),
  /** why it could not be started, or the signal that killed it (not a stop signal: SIGKILL, SIGSEGV), when either */
  error: z.string().optional(),
})
export type ScheduledRun = z.infer<typeof ScheduledRun>
