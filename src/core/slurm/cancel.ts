import {CheckFailedError, InputError, NothingToDoError} from '../errors.js'
import type {SlurmRecord} from '../schemas/index.js'
import type {SlurmCommands, SlurmTask} from './cluster.js'
import {readRecord, readRecords, writeRecord} from './records.js'

export interface CancelledArray {
  job_id: string
  /** tasks that had not started: cancelled */
  pending: string[]
  /** tasks that ran: sent SIGTERM (graceful), or cancelled by Slurm (kill) */
  running: string[]
  how: 'graceful' | 'kill'
}

const ACTIVE = /^(RUNNING|CONFIGURING|COMPLETING|SUSPENDED|RESIZING|REQUEUED|SIGNALING|STAGE_OUT)$/

/**
 * Cancels arrays submitted from this clone: the one asked for (or one task of it), or every one
 * Slurm still runs. Gracefully by default: the tasks that have not started are
 * cancelled, and each running task's rigor gets SIGTERM, stops its runners and
 * puts its claims back before it exits. `kill` is Slurm's own cancel (SIGTERM
 * to every process of the job, SIGKILL after KillWait): a claim whose worker
 * did not get to put it back returns through `rigor supervise` once its lease expires.
 */
export async function cancelArrays(
  commonDir: string,
  opts: {slurm: SlurmCommands; jobId?: string; task?: string; kill: boolean; now?: Date},
): Promise<CancelledArray[]> {
  const records = opts.jobId ? [await readRecord(commonDir, opts.jobId)] : await readRecords(commonDir)
  const only = opts.task
  if (only !== undefined && opts.jobId !== undefined && Number(only) >= records[0]!.workers)
    throw new InputError(`array ${opts.jobId} has no task ${only}: its tasks are 0 to ${records[0]!.workers - 1}`, {
      field: 'JOB',
      fix: '`rigor slurm status` lists its tasks',
    })
  // what a fix tells to cancel: the array, or the one task asked for
  const named = (job: string) => (only === undefined ? job : `${job}_${only}`)
  // one scontrol at a time: slurmctld serves the whole cluster
  const arrays: Array<{record: SlurmRecord; tasks: SlurmTask[] | undefined}> = []
  for (const record of records) {
    const tasks = await opts.slurm.tasks(record)
    arrays.push({record, tasks: only === undefined ? tasks : tasks?.filter((t) => t.task === only)})
  }
  // Slurm cannot signal a suspended task ("Job can not be altered now"): said before anything is cancelled
  if (!opts.kill) {
    for (const {record, tasks} of arrays) {
      const suspended = (tasks ?? []).filter((t) => t.state === 'SUSPENDED').map((t) => t.task)
      if (suspended.length === 0) continue
      const one = suspended.length === 1
      const which = one ? `task ${suspended[0]} is` : `tasks ${suspended.join(', ')} are`
      throw new CheckFailedError(
        `array ${record.job_id}: ${which} suspended, and Slurm cannot signal a suspended task, so it cannot be told to stop and put its claims back; nothing was cancelled`,
        {
          fix: `cancel again once Slurm has resumed ${one ? 'it' : 'them'}, or now with \`rigor slurm cancel ${named(record.job_id)} --kill\` (${one ? 'its' : 'their'} claims come back through \`rigor supervise\` once the leases expire)`,
        },
      )
    }
  }
  const cancelled: CancelledArray[] = []
  const stopping: Array<{job: string; tasks: string[]}> = []
  for (const {record, tasks} of arrays) {
    const pending = (tasks ?? []).filter((t) => t.state === 'PENDING').map((t) => t.task)
    const active = (tasks ?? []).filter((t) => ACTIVE.test(t.state))
    // a task running since an earlier graceful cancel is putting its claims back: a second SIGTERM would make its
    // rigor leave at once, its claims left held until their lease expires. Only --kill (or a task started since) is signalled
    const told = (t: SlurmTask) => !opts.kill && isToldToStop(t, [record.cancelled_at, record.cancelled_tasks?.[t.task]])
    const running = active.filter((t) => !told(t)).map((t) => t.task)
    const stillStopping = active.filter(told).map((t) => t.task)
    if (stillStopping.length > 0) stopping.push({job: record.job_id, tasks: stillStopping})
    if (pending.length === 0 && running.length === 0) continue
    const target = named(record.job_id)
    if (opts.kill) await opts.slurm.cancel(target)
    else {
      // pending first: a task cannot start after its running siblings were told to stop
      await opts.slurm.cancelPending(target)
      // the whole array (a task that started meanwhile too), unless some of its tasks are stopping already, or one was asked for
      if (stillStopping.length === 0 && only === undefined) await opts.slurm.terminateBatch(record.job_id)
      else if (running.length > 0) await opts.slurm.terminateBatch(record.job_id, running)
    }
    const now = (opts.now ?? new Date()).toISOString()
    // one task cancelled is noted as that task's: the array's time would count its running siblings as told to stop
    await writeRecord(
      commonDir,
      only === undefined ? {...record, cancelled_at: now} : {...record, cancelled_tasks: {...record.cancelled_tasks, [only]: now}},
    )
    cancelled.push({job_id: record.job_id, pending, running, how: opts.kill ? 'kill' : 'graceful'})
  }
  if (cancelled.length === 0 && stopping.length > 0) {
    const which = stopping.map((a) => `array ${a.job} (task${a.tasks.length === 1 ? '' : 's'} ${a.tasks.join(', ')})`).join(', ')
    throw new NothingToDoError(
      `${which} already told to stop, and still putting claims back: another SIGTERM would make rigor leave at once, its claims held until their lease expires; nothing was signalled`,
      'nothing_to_cancel',
      `wait for them (\`rigor slurm status\` shows when they end), or stop them at once with ${stopping.map((a) => `\`rigor slurm cancel ${named(a.job)} --kill\``).join(', ')}`,
    )
  }
  if (cancelled.length === 0) {
    const which = opts.jobId
      ? only !== undefined
        ? `task ${only} of array ${opts.jobId} is not`
        : `array ${opts.jobId} has`
      : records.length
        ? 'no array submitted from this clone has'
        : 'no array was submitted from this clone: none has'
    throw new NothingToDoError(
      only !== undefined ? `${which} pending or running` : `${which} a pending or running task`,
      'nothing_to_cancel',
    )
  }
  return cancelled
}

/**
 * Whether a task was running when it (or its whole array) was last cancelled gracefully, so its rigor got the SIGTERM
 * (Slurm's StartTime is whole seconds).
 */
function isToldToStop(task: SlurmTask, cancelledAt: Array<string | undefined>): boolean {
  if (!task.started_at) return false
  const started = Date.parse(task.started_at)
  return cancelledAt.some((at) => at !== undefined && started <= Date.parse(at))
}
