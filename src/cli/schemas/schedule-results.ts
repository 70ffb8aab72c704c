import * as z from 'zod'
import {ScheduledRun} from '../../core/schemas/index.js'

/** The --json results of `rigor schedule install|status|uninstall|run` (see results.ts). */

const strict = z.strictObject
const kind = z.enum(['systemd', 'cron'])

export const ScheduleInstallResult = strict({
  kind,
  id: z.string(),
  at: z.string().regex(/^\d\d:\d\d$/),
  dry_run: z.boolean(),
  installed: z.boolean(),
  files: z.array(strict({path: z.string(), content: z.string()})),
  line: z.string().optional(),
  next: z.array(z.string()),
  problem: z.string().optional(),
  warning: z.string().optional(),
})

export const ScheduleUninstallResult = strict({
  id: z.string(),
  removed_files: z.array(z.string()),
  removed_line: z.boolean(),
  next: z.array(z.string()),
  problem: z.string().optional(),
})

export const ScheduleStatusResult = strict({
  workspace: z.string(),
  id: z.string(),
  systemd: strict({
    dir: z.string(),
    service: strict({file: z.string(), present: z.boolean()}),
    timer: strict({file: z.string(), present: z.boolean(), on_calendar: z.string().optional()}),
    state: strict({
      available: z.boolean(),
      problem: z.string().optional(),
      active: z.string().optional(),
      enabled: z.string().optional(),
      next_run: z.string().optional(),
      last_run: z.string().optional(),
    }).optional(),
  }),
  cron: strict({
    available: z.boolean(),
    line: z.string().optional(),
    /** this workspace's line commented out: not installed */
    disabled_line: z.string().optional(),
    problem: z.string().optional(),
  }),
  last_run: ScheduledRun.optional(),
})

export const ScheduleRunResult = ScheduledRun
