import type {ClaimResult} from '../dag/claims.js'
import {ClaimBuffer} from '../dag/prefetch.js'
import {executeClaimedNode, type ExecuteOutcome} from '../dag/execute.js'
import type {RunGroups} from '../proc.js'
import type {AdmissionPolicyFactory} from '../dag/admission.js'
import type {NothingClaimableReason} from '../dag/scheduler.js'
import type {Workspace} from '../state/workspace.js'

export type WorkEvent =
  | {type: 'claimed'; slot: number; id: string; attempt: number}
  | {type: 'finished'; slot: number; outcome: ExecuteOutcome}
  | {type: 'idle'; reason: NothingClaimableReason; detail: string}
  | {type: 'error'; slot: number; message: string}

export interface WorkOptions {
  worker: string
  parallel: number
  maxNodes?: number
  team?: string
  exclude?: ReadonlySet<string>
  /** who may start (teams, budget): from the composition root, flows/policies.ts */
  admission: AdmissionPolicyFactory
  /** abort to stop: no new claims, running nodes are stopped and put back */
  signal?: AbortSignal
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  onEvent?: (event: WorkEvent) => void
  pollMs?: number
  /** nodes claimed per claim commit (see ClaimBuffer); default: 1 locally, from the contention on a remote */
  prefetch?: number
}

export interface WorkSummary {
  worker: string
  claimed: number
  finished: number
  released: number
  lost: number
  by_status: Record<string, number>
  stopped_because: NothingClaimableReason | 'max_nodes' | 'interrupted'
  detail: string
}

/**
 * The claim-and-run loop with N slots. A slot that finds nothing claimable waits
 * while other slots still run (their verdicts may unlock or spawn nodes); the
 * loop ends when every slot is idle and nothing is claimable.
 */
export async function runWorkLoop(ws: Workspace, opts: WorkOptions): Promise<WorkSummary> {
  // refuse to start in the middle of a merge or rebase; once claims are held, their verdicts wait for it instead
  await ws.assertCanCommit()
  ws.whenOperationInProgress = 'wait'
  // syncing the working tree after every commit would spawn git several times per node
  ws.syncDelayMs = Math.max(ws.syncDelayMs, 1000)
  const summary: WorkSummary = {
    worker: opts.worker,
    claimed: 0,
    finished: 0,
    released: 0,
    lost: 0,
    by_status: {},
    stopped_because: 'empty',
    detail: '',
  }
  let running = 0
  let claiming: Promise<unknown> = Promise.resolve()
  let wake: (() => void) | undefined
  let lastIdle: Extract<ClaimResult, {claimed: undefined}> | undefined
  const emit = (event: WorkEvent) => opts.onEvent?.(event)
  const underMaxNodes = () => opts.maxNodes === undefined || summary.claimed < opts.maxNodes

  // one slot's failure stops the others cleanly (their claims are put back) before it is reported
  const failed = new AbortController()
  let failure: unknown
  const signal = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal

  // claims from one process go one at a time: racing ourselves only burns retries;
  // one queued behind another when a stop is asked for, or --max-nodes is reached, is never made (undefined)
  const claims = new ClaimBuffer(
    ws,
    {worker: opts.worker, team: opts.team, exclude: opts.exclude, admission: opts.admission},
    opts.prefetch ?? (ws.distributed ? undefined : 1),
  )
  const claimSerially = (): Promise<ClaimResult | undefined> => {
    const next = claiming.then(() =>
      signal.aborted || !underMaxNodes()
        ? undefined
        : claims.next(opts.maxNodes === undefined ? undefined : opts.maxNodes - summary.claimed),
    )
    claiming = next.catch(() => {})
    return next
  }

  const slot = async (index: number): Promise<void> => {
    try {
      await slotLoop(index)
    } catch (err) {
      emit({type: 'error', slot: index, message: (err as Error).message})
      failure ??= err
      failed.abort()
      const w = wake
      wake = undefined
      w?.()
    }
  }

  const slotLoop = async (index: number): Promise<void> => {
    while (!signal.aborted && underMaxNodes()) {
      const result = await claimSerially()
      if (!result) return
      if (!result.claimed) {
        lastIdle = result
        if (running === 0 || signal.aborted) return
        // wait for another slot's verdict, which may make something claimable
        await new Promise<void>((resolve) => {
          const previous = wake
          wake = () => {
            previous?.()
            resolve()
          }
        })
        continue
      }
      summary.claimed++
      running++
      emit({type: 'claimed', slot: index, id: result.claimed.id, attempt: result.claimed.attempt})
      // the slot claims its next node as soon as the process ends; the verdict commits behind it
      let processEnded!: () => void
      const ended = new Promise<void>((resolve) => (processEnded = resolve))
      // a claim that lands after the stop is put back at once by executeClaimedNode, without running
      const finished = executeClaimedNode(ws, result.claimed, {
        worker: opts.worker,
        signal,
        pollMs: opts.pollMs,
        onProcessEnd: processEnded,
        groups: opts.groups,
      })
        .then((outcome) => {
          if (outcome.kind === 'verdict') {
            summary.finished++
            summary.by_status[outcome.status] = (summary.by_status[outcome.status] ?? 0) + 1
          } else if (outcome.kind === 'released') summary.released++
          else summary.lost++
          emit({type: 'finished', slot: index, outcome})
        })
        .catch((err: unknown) => {
          emit({type: 'error', slot: index, message: (err as Error).message})
          failure ??= err
          failed.abort()
        })
        .finally(() => {
          running--
          inFlight.delete(finished)
          const w = wake
          wake = undefined
          w?.()
        })
      inFlight.add(finished)
      await Promise.race([ended, finished])
    }
  }

  const inFlight = new Set<Promise<void>>()
  try {
    await Promise.all(Array.from({length: Math.max(1, opts.parallel)}, (_, i) => slot(i)))
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
  } finally {
    // nodes claimed ahead that no slot started (a stop, --max-nodes, a failure) go back at once
    summary.released += (await claims.releaseUnstarted()).length
  }
  if (failure) throw failure
  if (opts.signal?.aborted) summary.stopped_because = 'interrupted'
  else if (!underMaxNodes()) summary.stopped_because = 'max_nodes'
  else if (lastIdle) {
    summary.stopped_because = lastIdle.reason
    summary.detail = lastIdle.detail
    emit({type: 'idle', reason: lastIdle.reason, detail: lastIdle.detail})
  }
  return summary
}
