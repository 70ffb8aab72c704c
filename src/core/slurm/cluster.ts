import {execa} from 'execa'
import {RigorError} from '../errors.js'
import type {SlurmRecord} from '../schemas/index.js'
import {JOB_NAME} from './script.js'

/** One array task as Slurm reports it (scontrol show job). */
export interface SlurmTask {
  /** the array index, e.g. "3"; pending tasks come one per index */
  task: string
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, ... */
  state: string
  /** the compute node the task ran on (none while pending) */
  host?: string
  /** exit code and signal, "143:0" */
  exit_code?: string
  started_at?: string
  ended_at?: string
  /** why a task waits or ended (Slurm's Reason) */
  reason?: string
}

interface Run {
  exitCode: number | undefined
  stdout: string
  stderr: string
}

/**
 * Slurm's own commands (sbatch, scontrol, scancel), always as argv: nothing
 * rigor passes them goes through a shell. Times are asked for as seconds since
 * 1970 (SLURM_TIME_FORMAT=%s) so no time zone is guessed.
 */
export class SlurmCommands {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private async run(program: string, args: string[], cwd?: string): Promise<Run> {
    const result = await execa(program, args, {
      cwd,
      env: {...this.env, SLURM_TIME_FORMAT: '%s'},
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      encoding: 'utf8',
      timeout: 120_000,
    })
    if (result.failed && result.exitCode === undefined) {
      const missing = (result as {code?: string}).code === 'ENOENT'
      throw new RigorError(missing ? `${program} is not installed here` : `${program} did not run: ${result.shortMessage}`, {
        fix: missing
          ? 'run `rigor slurm` on a machine that submits to your Slurm cluster (a login node)'
          : `run ${program} yourself to see why`,
      })
    }
    return {exitCode: result.exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '')}
  }

  /** Submits the script with `args` before it; the job id sbatch gives back. */
  async submit(script: string, args: string[], cwd: string): Promise<string> {
    const result = await this.run('sbatch', ['--parsable', ...args, script], cwd)
    // --parsable: "<job id>" or "<job id>;<cluster>"
    const id = /^(\d+)(;\S+)?$/m.exec(result.stdout.trim())?.[1]
    if (result.exitCode !== 0 || !id)
      throw new RigorError(`sbatch refused the job: ${(result.stderr || result.stdout).trim()}`, {
        fix: controllerDown(result.stderr)
          ? `${CONTROLLER_DOWN_FIX}; nothing was submitted`
          : // rigor's array is always 0-(workers-1): the one way it is invalid is more tasks than the cluster takes
            /invalid job array specification/i.test(result.stderr)
            ? 'the array has more tasks than this cluster takes (its MaxArraySize, 1001 by default, is one more than the highest task index: `scontrol show config | grep -i MaxArraySize`): give fewer --workers; nothing was submitted'
            : 'review the script with `rigor slurm submit --dry-run`; `sinfo` lists the partitions and their time limits',
      })
    return id
  }

  /**
   * The tasks of the array `record` notes, or undefined when Slurm no longer knows it (ended longer ago than its
   * MinJobAge), or when the id now names another job (ids wrap around, and start again on a reinstalled cluster): a
   * job that is not rigor's, another user's, or submitted at another time than the record says (isRecordedJob). Such a
   * job is never reported, nor cancelled.
   */
  async tasks(record: Pick<SlurmRecord, 'job_id' | 'submitted_at' | 'uid'>): Promise<SlurmTask[] | undefined> {
    const jobId = record.job_id
    const result = await this.run('scontrol', ['show', 'job', '--oneliner', jobId])
    if (result.exitCode !== 0) {
      if (/invalid job id/i.test(result.stderr)) return undefined
      throw new RigorError(`scontrol show job ${jobId} failed: ${result.stderr.trim()}`, {
        fix: controllerDown(result.stderr)
          ? `${CONTROLLER_DOWN_FIX}; nothing was changed`
          : `run scontrol show job ${jobId} yourself to see why`,
      })
    }
    const lines = result.stdout.split('\n').filter((line) => line.trim() !== '')
    if (!isRecordedJob(lines, record)) return undefined
    return lines.flatMap(parseTaskLine).sort((a, b) => Number(a.task) - Number(b.task))
  }

  /** Cancels the tasks that have not started, of the array or of `<job>_<task>` alone. */
  async cancelPending(target: string): Promise<void> {
    await this.scancel(['--state=PENDING', target])
  }

  /** SIGTERM to the batch shell of each running task (or of `tasks` only), which is rigor: it stops its runners and puts its claims back. */
  async terminateBatch(jobId: string, tasks?: string[]): Promise<void> {
    await this.scancel(['--batch', '--signal=TERM', ...(tasks ? tasks.map((task) => `${jobId}_${task}`) : [jobId])])
  }

  /** Slurm's own cancel: SIGTERM to every process of every task (or of `<job>_<task>` alone), SIGKILL after the cluster's KillWait. */
  async cancel(target: string): Promise<void> {
    await this.scancel([target])
  }

  private async scancel(args: string[]): Promise<void> {
    const result = await this.run('scancel', args)
    // a task that ended meanwhile is no reason to fail
    if (result.exitCode !== 0 && !/already completing or completed|invalid job id|job has finished/i.test(result.stderr))
      throw new RigorError(`scancel ${args.join(' ')} failed: ${result.stderr.trim()}`, {
        fix: controllerDown(result.stderr) ? CONTROLLER_DOWN_FIX : `run scancel ${args.join(' ')} yourself to see why`,
      })
  }
}

/** What Slurm's clients say when slurmctld does not answer (down, restarting, or out of reach from here). */
const controllerDown = (stderr: string): boolean => /unable to contact slurm controller/i.test(stderr)
const CONTROLLER_DOWN_FIX =
  'the Slurm controller does not answer (`scontrol ping` says whether it is up): try again once it does, or ask your administrators'

const NO_VAL = 0xfffffffe
/** the `task` of the line that stands for every task of the array not listed on its own */
export const REST = '*'

/**
 * How far Slurm's SubmitTime may lie from the record's submitted_at: the record is written once sbatch answers (it may
 * take up to its 120 s timeout), and the login node's clock and the controller's may differ a little. A job that got
 * a recorded id again (a reinstalled cluster, ids wrapped around) was submitted far later than that.
 */
const SUBMIT_SLACK_MS = 10 * 60_000

/**
 * Whether `scontrol show job` lines are the array the record notes: named `rigor`, owned by the user who submitted it
 * (when the record says who), and submitted when the record says. A requeued task's SubmitTime is the time of its
 * requeue (Restarts above 0), so only a later time is asked of it.
 */
export function isRecordedJob(lines: string[], record: Pick<SlurmRecord, 'submitted_at' | 'uid'>): boolean {
  if (lines.length === 0 || !lines.every((line) => field(line, 'JobName') === JOB_NAME)) return false
  if (record.uid !== undefined && !lines.every((line) => /\((\d+)\)$/.exec(field(line, 'UserId') ?? '')?.[1] === String(record.uid)))
    return false
  const recorded = Date.parse(record.submitted_at)
  if (Number.isNaN(recorded)) return true
  const submits = lines.map((line) => ({
    at: Number(field(line, 'SubmitTime')) * 1000,
    restarted: Number(field(line, 'Restarts') ?? 0) > 0,
  }))
  if (submits.some((s) => !Number.isFinite(s.at) || s.at === 0)) return true
  const first = Math.min(...submits.map((s) => s.at))
  if (first < recorded - SUBMIT_SLACK_MS) return false
  return first <= recorded + SUBMIT_SLACK_MS || submits.every((s) => s.restarted)
}

/** A field of one `scontrol show job --oneliner` line; values never hold spaces for the fields read here. */
const field = (line: string, name: string): string | undefined => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1]

const epochIso = (value: string | undefined): string | undefined =>
  value && /^\d+$/.test(value) && value !== '0' ? new Date(Number(value) * 1000).toISOString() : undefined

/** The tasks one `scontrol show job --oneliner` line stands for (pending tasks of an array share one line). */
export function parseTaskLine(line: string): SlurmTask[] {
  const state = field(line, 'JobState') ?? 'UNKNOWN'
  const host = field(line, 'BatchHost') ?? field(line, 'NodeList')
  const base = {
    state,
    host: host && host !== '(null)' ? host : undefined,
    exit_code: state === 'PENDING' ? undefined : field(line, 'ExitCode'),
    started_at: state === 'PENDING' ? undefined : epochIso(field(line, 'StartTime')),
    ended_at: /^(PENDING|RUNNING|CONFIGURING|SUSPENDED)$/.test(state) ? undefined : epochIso(field(line, 'EndTime')),
    reason: field(line, 'Reason') === 'None' ? undefined : field(line, 'Reason'),
  }
  const ids = field(line, 'ArrayTaskId') ?? ''
  // the tasks that never started once the array was cancelled: Slurm's NO_VAL in place of their indices
  if (ids === String(NO_VAL)) return [{task: REST, ...base}]
  // pending tasks of an array come as one line: ArrayTaskId=2-5,7 (or 2-5%2 with a throttle)
  return expandTaskIds(ids).map((task) => ({task, ...base}))
}

export function expandTaskIds(spec: string): string[] {
  const ids: string[] = []
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const range = /^(\d+)-(\d+)(:(\d+))?$/.exec(part)
    if (range) {
      const step = Number(range[4] ?? 1)
      for (let i = Number(range[1]); i <= Number(range[2]) && ids.length < 100_000; i += step) ids.push(String(i))
    } else if (/^\d+$/.test(part)) ids.push(part)
  }
  return ids
}
