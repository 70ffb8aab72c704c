import {CheckFailedError, NothingToDoError} from '../errors.js'
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
 * Cancels arrays submitted from this clone: the one asked for, or every one
 * Slurm still runs. Gracefully by default: the tasks that have not started are
 * cancelled, and each running task's rigor gets SIGTERM, stops its runners and
 * puts its claims back before it exits. `kill` is Slurm's own cancel (SIGTERM
 * to every process of the job, SIGKILL after KillWait): a claim whose worker
 * did not get to put it back returns through `rigor supervise` once its lease expires.
 */
export async function cancelArrays(
  commonDir: string,
  opts: {slurm: SlurmCommands; jobId?: string; kill: boolean; now?: Date},
): Promise<CancelledArray[]> {
  const records = opts.jobId ? [await readRecord(commonDir, opts.jobId)] : await readRecords(commonDir)
  // one scontrol at a time: slurmctld serves the whole cluster
  const arrays: Array<{record: SlurmRecord; tasks: SlurmTask[] | undefined}> = []
  for (const record of records) arrays.push({record, tasks: await opts.slurm.tasks(record.job_id)})
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
          fix: `cancel again once Slurm has resumed ${one ? 'it' : 'them'}, or now with \`rigor slurm cancel ${record.job_id} --kill\` (${one ? 'its' : 'their'} claims come back through \`rigor supervise\` once the leases expire)`,
        },
      )
    }
  }
  const cancelled: CancelledArray[] = []
  for (const {record, tasks} of arrays) {
    const pending = (tasks ?? []).filter((t) => t.state === 'PENDING').map((t) => t.task)
    const running = (tasks ?? []).filter((t) => ACTIVE.test(t.state)).map((t) => t.task)
    if (pending.length === 0 && running.length === 0) continue
    if (opts.kill) await opts.slurm.cancel(record.job_id)
    else {
      // pending first: a task cannot start after its running siblings were told to stop
      await opts.slurm.cancelPending(record.job_id)
      await opts.slurm.terminateBatch(record.job_id)
    }
    await writeRecord(commonDir, {...record, cancelled_at: (opts.now ?? new Date()).toISOString()})
    cancelled.push({job_id: record.job_id, pending, running, how: opts.kill ? 'kill' : 'graceful'})
  }
  if (cancelled.length === 0) {
    const which = opts.jobId
      ? `array ${opts.jobId} has`
      : records.length
        ? 'no array submitted from this clone has'
        : 'no array was submitted from this clone: none has'
    throw new NothingToDoError(`${which} a pending or running task`, 'nothing_to_cancel')
  }
  return cancelled
}
