import {existsSync} from 'node:fs'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {isAbsolute, join} from 'node:path'
import {CheckFailedError, InputError} from '../errors.js'
import type {ScheduledRun} from '../schemas/index.js'
import {cronLine, findCronLine, findDisabledCronLine, withCronLine, withoutCronLine} from './cron.js'
import {formatClock, scheduleId, type ScheduledJob, type ScheduleKind} from './job.js'
import {readCrontab, timerState, writeCrontab, type SchedulePrograms, type TimerState} from './programs.js'
import {lastScheduledRun} from './runs.js'
import {enableCommands, serviceUnit, timerUnit, unitName, userUnitDir, type UnitFile} from './systemd.js'

export interface InstallResult {
  kind: ScheduleKind
  id: string
  at: string
  dry_run: boolean
  /** false when nothing was written: a dry run, or cron without a crontab program */
  installed: boolean
  /** the unit files written (or that would be) */
  files: UnitFile[]
  /** the crontab line written (or that would be) */
  line?: string
  /** what the user runs next, if anything */
  next: string[]
  /** why the line could not be installed, when it could not */
  problem?: string
  /** the other kind of schedule, when this workspace has it too: both would start the cycle every day */
  warning?: string
}

export interface ScheduleContext {
  env: NodeJS.ProcessEnv
  programs: SchedulePrograms
}

/**
 * Installs the job: the two user units (rigor never runs systemctl: it says
 * what to run), or its crontab line in place of this workspace's old one.
 * A dry run writes nothing and returns the same.
 */
export async function installSchedule(
  job: ScheduledJob,
  kind: ScheduleKind,
  ctx: ScheduleContext,
  dryRun: boolean,
): Promise<InstallResult> {
  const warning = await otherScheduleWarning(job.id, kind, ctx)
  const base = {kind, id: job.id, at: formatClock(job.at), dry_run: dryRun, ...(warning ? {warning} : {})}
  if (kind === 'systemd') {
    const dir = userUnitDir(ctx.env)
    const files = [serviceUnit(job, dir), timerUnit(job, dir)]
    if (!dryRun) {
      await mkdir(dir, {recursive: true}).catch((err: NodeJS.ErrnoException) => {
        // a file where a folder of $XDG_CONFIG_HOME (or $HOME) should be, or one rigor may not write
        if (err.code !== 'ENOTDIR' && err.code !== 'EEXIST' && err.code !== 'EACCES' && err.code !== 'EROFS') throw err
        throw new InputError(`cannot make the folder for user units ${dir} (${err.code})`, {
          field: ctx.env.XDG_CONFIG_HOME && isAbsolute(ctx.env.XDG_CONFIG_HOME) ? 'XDG_CONFIG_HOME' : 'HOME',
          fix: 'set HOME (or XDG_CONFIG_HOME) to your home directory, one you may write to',
          cause: err,
        })
      })
      for (const file of files) await writeFile(file.path, file.content)
    }
    return {...base, installed: !dryRun, files, next: [enableCommands(job).join(' && '), 'loginctl enable-linger']}
  }
  const line = cronLine(job)
  if (dryRun) return {...base, installed: false, files: [], line, next: []}
  const crontab = await readCrontab(ctx.programs.crontab)
  if (crontab === undefined) {
    return {
      ...base,
      installed: false,
      files: [],
      line,
      problem: `there is no \`${ctx.programs.crontab}\` program on this machine`,
      next: ['install cron (e.g. apt-get install cron), then add the line with `crontab -e`, or run this command again'],
    }
  }
  await writeCrontab(ctx.programs.crontab, withCronLine(crontab, line, job.id))
  return {...base, installed: true, files: [], line, next: []}
}

/**
 * What to say when this workspace has the other kind of schedule installed: both would start a cycle every day, and
 * a cycle started while another runs is refused (a failed unit, or a failed run in runs.jsonl).
 */
async function otherScheduleWarning(id: string, kind: ScheduleKind, ctx: ScheduleContext): Promise<string | undefined> {
  const both = 'both start `rigor cycle` every day, and one started while the other runs fails'
  if (kind === 'systemd') {
    const crontab = await readCrontabOr(ctx.programs.crontab, true)
    if (typeof crontab !== 'string' || findCronLine(crontab, id) === undefined) return undefined
    return `this workspace has a crontab line too: ${both}; remove it with \`rigor schedule uninstall --cron\``
  }
  let timer: string
  try {
    timer = join(userUnitDir(ctx.env), unitName({id}, 'timer'))
  } catch {
    // no HOME: no user units either
    return undefined
  }
  if (!existsSync(timer)) return undefined
  return `this workspace has a systemd timer too (${timer}): ${both}; remove it with \`rigor schedule uninstall --systemd\``
}

export interface UninstallResult {
  id: string
  /** unit files removed, and their drop-in folders (`systemctl --user edit`'s) */
  removed_files: string[]
  /** whether a crontab line was removed */
  removed_line: boolean
  next: string[]
  /** why the crontab could not be read (the units were still removed), when it could not */
  problem?: string
}

/**
 * Removes whatever of a schedule is installed: the units (the timer's enablement link and the units' drop-in folders
 * too) and the crontab line, commented out or not. The schedule is the workspace's at `root`, or the one named by its
 * id (a workspace moved or deleted since: its id is that of its old path).
 */
export async function uninstallSchedule(
  workspace: {root: string} | {id: string},
  kinds: readonly ScheduleKind[],
  ctx: ScheduleContext,
): Promise<UninstallResult> {
  const id = 'id' in workspace ? workspace.id : scheduleId(workspace.root)
  const result: UninstallResult = {id, removed_files: [], removed_line: false, next: []}
  // the crontab is read first: with --cron alone a refusal ends the command before anything is removed; with both, a
  // user who may not use cron (cron.deny) still gets the units removed, and is told the crontab could not be read
  const crontab = kinds.includes('cron') ? await readCrontabOr(ctx.programs.crontab, kinds.length > 1) : undefined
  if (typeof crontab === 'object') result.problem = crontab.problem
  if (kinds.includes('systemd')) {
    const dir = userUnitDir(ctx.env)
    const timer = unitName({id}, 'timer')
    const service = unitName({id}, 'service')
    // what `systemctl --user disable` removes, so the timer does not dangle once its file is gone; and the drop-ins of
    // `systemctl --user edit` (an auditor's key, say), which would otherwise outlive their units
    for (const path of [
      join(dir, 'timers.target.wants', timer),
      join(dir, timer),
      join(dir, service),
      join(dir, `${service}.d`),
      join(dir, `${timer}.d`),
    ]) {
      if (!existsSync(path)) continue
      await rm(path, {force: true, recursive: true})
      result.removed_files.push(path)
    }
    if (result.removed_files.length > 0) result.next.push(`systemctl --user stop ${timer}; systemctl --user daemon-reload`)
  }
  if (typeof crontab === 'string' && (findCronLine(crontab, id) ?? findDisabledCronLine(crontab, id)) !== undefined) {
    await writeCrontab(ctx.programs.crontab, withoutCronLine(crontab, id))
    result.removed_line = true
  }
  return result
}

/**
 * The crontab's text, undefined without a crontab program, or (when `tolerate`) why `crontab -l` refused: a user
 * cron.deny shuts out has no crontab line of theirs that runs, and still has a schedule's units to see or remove.
 */
async function readCrontabOr(program: string, tolerate: boolean): Promise<string | undefined | {problem: string}> {
  try {
    return await readCrontab(program)
  } catch (err) {
    if (!tolerate || !(err instanceof CheckFailedError)) throw err
    return {problem: err.message.split('\n', 1)[0]!}
  }
}

export interface ScheduleStatus {
  workspace: string
  id: string
  systemd: {
    dir: string
    service: {file: string; present: boolean}
    timer: {file: string; present: boolean; on_calendar?: string}
    /** what the user's systemd says of the timer, when the timer file is present */
    state?: TimerState
  }
  /**
   * available: a crontab program that lists the user's crontab; line: this workspace's line that cron runs;
   * disabled_line: this workspace's line commented out instead (not installed); problem: why the crontab cannot be read
   */
  cron: {available: boolean; line?: string; disabled_line?: string; problem?: string}
  /** the last run started by the schedule (`rigor schedule run`) in this checkout */
  last_run?: ScheduledRun
}

/** What is installed for this workspace, what systemd says of the timer, and how the last scheduled cycle ended. */
export async function scheduleStatus(root: string, gitDir: string, ctx: ScheduleContext): Promise<ScheduleStatus> {
  const id = scheduleId(root)
  const dir = userUnitDir(ctx.env)
  const service = join(dir, unitName({id}, 'service'))
  const timer = join(dir, unitName({id}, 'timer'))
  const timerText = await readFile(timer, 'utf8').catch(() => undefined)
  const crontab = await readCrontabOr(ctx.programs.crontab, true)
  return {
    workspace: root,
    id,
    systemd: {
      dir,
      service: {file: service, present: existsSync(service)},
      timer: {file: timer, present: timerText !== undefined, on_calendar: timerText && /^OnCalendar=(.*)$/m.exec(timerText)?.[1]},
      state: timerText === undefined ? undefined : await timerState(ctx.programs.systemctl, unitName({id}, 'timer')),
    },
    cron:
      typeof crontab === 'object'
        ? {available: false, problem: crontab.problem}
        : {
            available: crontab !== undefined,
            line: crontab === undefined ? undefined : findCronLine(crontab, id),
            disabled_line: crontab === undefined ? undefined : findDisabledCronLine(crontab, id),
          },
    last_run: await lastScheduledRun(gitDir),
  }
}
