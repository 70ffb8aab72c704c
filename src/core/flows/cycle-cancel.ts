import {rm} from 'node:fs/promises'
import {setTimeout as delay} from 'node:timers/promises'
import {releaseHeld} from '../dag/claims.js'
import {CheckFailedError, NothingToDoError} from '../errors.js'
import type {CycleOutcome} from '../schemas/index.js'
import {nowIso} from '../state/node-files.js'
import type {Workspace} from '../state/workspace.js'
import {cycleWorker, finishCancelled} from './cycle.js'
import {cycleFiles, cycleProcessAlive, readCycleRecord, withCycleLock, writeCancelRequest} from './cycle-records.js'

export interface CycleCancelResult {
  id: string
  /** cancelled, or how the cycle ended on its own before the request reached it */
  outcome: Exclude<CycleOutcome, 'running'>
  /** whether a live process ran it (signalled), or it had been interrupted and only its record was left */
  was_running: boolean
  pid: number
  /** nodes its worker still held, put back by this command (a live cycle puts back its own) */
  released: string[]
}

/**
 * Cancels the checkout's cycle. A live one gets a cancel request (naming its
 * id) and SIGTERM: it stops its runners, puts its claims back, records the
 * outcome `cancelled` and exits; this waits up to `waitMs` for that. A cycle
 * whose process is gone (it was killed) is cancelled here: its claims are put
 * back and its record closed, so the next `rigor cycle` starts afresh instead of
 * resuming it.
 */
export async function cancelCycle(ws: Workspace, opts: {waitMs: number}): Promise<CycleCancelResult> {
  const files = cycleFiles(ws.repo.paths.gitDir)
  const current = await readCycleRecord(files.current, cycleWorker(ws.repo.paths.gitDir))
  if (!current) throw new NothingToDoError('no cycle is in progress in this checkout', 'no_cycle')
  const wasRunning = cycleProcessAlive(current)
  if (wasRunning) {
    await writeCancelRequest(files, {id: current.id, requested_at: nowIso(), by_pid: process.pid})
    try {
      process.kill(current.pid, 'SIGTERM')
    } catch {
      // it ended meanwhile: what it left is read below
    }
    const deadline = Date.now() + opts.waitMs
    while (cycleProcessAlive(current)) {
      if (Date.now() > deadline)
        throw new CheckFailedError(
          `cycle ${current.id} (pid ${current.pid}) has not stopped ${Math.round(opts.waitMs / 1000)}s after it was asked to`,
          {
            fix: `it may still be putting claims back: check with \`rigor cycle list\`; to stop it at once, kill -KILL ${current.pid} and run \`rigor cycle cancel\` again`,
          },
        )
      await delay(100)
    }
  }
  return withCycleLock(files, async () => {
    const finished = await readCycleRecord(files.finished(current.id), current.worker)
    const left = await readCycleRecord(files.current, current.worker)
    if (finished && left?.id !== current.id) {
      await rm(files.cancel, {force: true})
      return {
        id: current.id,
        outcome: finished.outcome === 'running' ? 'cancelled' : finished.outcome,
        was_running: wasRunning,
        pid: current.pid,
        released: [],
      }
    }
    if (!left || left.id !== current.id || cycleProcessAlive(left))
      throw new CheckFailedError(`cycle ${current.id} was resumed or replaced while it was being cancelled`, {
        fix: 'see `rigor cycle list`, and cancel again if a cycle is still running',
      })
    // killed before it could record anything: close its record here
    const released = await releaseHeld(ws, left.worker, () => true, 'of a cancelled cycle')
    await finishCancelled(files, left)
    return {id: current.id, outcome: 'cancelled', was_running: wasRunning, pid: current.pid, released}
  })
}
