import {createHash} from 'node:crypto'
import {basename} from 'node:path'
import {resolveCommand} from '../dag/runner.js'
import {InputError} from '../errors.js'
import {schedulePathProblem, singleLineProblem} from '../validation.js'

export type ScheduleKind = 'systemd' | 'cron'

export interface ClockTime {
  hour: number
  minute: number
}

/** What a schedule runs, where and when: the same for a systemd timer and a crontab line. */
export interface ScheduledJob {
  /** the workspace root: the working directory of the run */
  root: string
  /** names the units and tags the crontab line: the root's name and a hash of its path */
  id: string
  /** absolute argv: node, rigor's bin/run.js, then `schedule run` and its flags */
  argv: string[]
  /** PATH as it was at install time, so runners find the same programs */
  path?: string
  at: ClockTime
}

export const DEFAULT_AT: ClockTime = {hour: 3, minute: 17}

export const formatClock = (at: ClockTime): string => `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`

/**
 * A short name for the workspace that is safe in a unit name and a crontab
 * comment, and unique per path: two checkouts named alike get different ones.
 */
export function scheduleId(root: string): string {
  const slug =
    basename(root)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'workspace'
  return `${slug}-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`
}

/**
 * The job `rigor schedule install` writes: `rigor schedule run` (which runs
 * `rigor cycle` and keeps its log) in the workspace, at `at` every day.
 * Refuses (exit 2) paths and values no quoting can carry.
 */
export function scheduledJob(
  root: string,
  opts: {kind: ScheduleKind; at: ClockTime; cycleArgs: string[]; path?: string; field?: string},
): ScheduledJob {
  const [node, args] = resolveCommand(['rigor', 'schedule', 'run', ...opts.cycleArgs])
  const argv = [node, ...args]
  for (const [what, path] of [
    ['the workspace', root],
    ['node', node],
    ['rigor', args[0]!],
  ] as const) {
    const problem = schedulePathProblem(path, opts.kind)
    if (problem)
      throw new InputError(`${what} cannot be written into a ${opts.kind === 'cron' ? 'crontab line' : 'systemd unit'}: ${problem}`, {
        fix: opts.kind === 'cron' ? 'move it to a path without backslashes, or use --systemd' : 'move it to a path without line breaks',
      })
  }
  for (const value of opts.cycleArgs) {
    const problem = singleLineProblem(value, 4000)
    if (problem) throw new InputError(problem, {field: opts.field, fix: 'pass values without line breaks or control characters'})
  }
  // PATH is the caller's environment, not a flag: the fix is in the shell that runs install
  const pathProblem = singleLineProblem(opts.path ?? '', 4000)
  if (pathProblem)
    throw new InputError(`PATH, which the job keeps: ${pathProblem}`, {
      field: 'PATH',
      fix: 'run install with a PATH of at most 4000 characters, without line breaks or control characters, e.g. `env PATH=/usr/local/bin:/usr/bin:/bin rigor schedule install ...`',
    })
  return {root, id: scheduleId(root), argv, path: opts.path || undefined, at: opts.at}
}
