import * as z from 'zod'
import {Argv, Duration} from './common.js'

/** What `notify.command` is called on (the `kind` of RIGOR_EVENT). */
export const NOTIFY_EVENTS = ['health', 'audit_fail', 'deploy', 'cycle_step_failed'] as const
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number]

/**
 * `notify:` in rigor.yaml: a program rigor runs (argv, never a shell) with the
 * message on stdin and the event as JSON in RIGOR_EVENT. Its failure is a
 * warning, never the command's failure. See docs/observability.md.
 */
export const NotifyConfig = z.strictObject({
  command: Argv,
  /** how long the program may take before it is killed (default 10s) */
  // zod returns a default as it is, without the Duration transform: the default is already milliseconds
  timeout: Duration.default(10_000),
  /** the events to notify (default: all of them) */
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional(),
})
export type NotifyConfig = z.infer<typeof NotifyConfig>
