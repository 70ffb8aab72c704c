import {setMaxListeners} from 'node:events'
import {claimsLeftAfterRewindText, claimsLeftText, HeldClaims, releaseHeld, type ClaimResult} from '../dag/claims.js'
import {ClaimBuffer} from '../dag/prefetch.js'
import {executeClaimedNode, type ExecuteOutcome} from '../dag/execute.js'
import {probeSandbox} from '../dag/sandbox.js'
import type {RunGroups} from '../proc.js'
import type {RunnerLauncher} from '../dag/launcher.js'
import type {AdmissionPolicyFactory} from '../dag/admission.js'
import type {NothingClaimableReason} from '../dag/scheduler.js'
import type {NodeFile} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {RemoteRewoundError, RemoteUnreachableError} from '../errors.js'
import type {ChangeFeed} from './follow.js'
import {MAX_DURATION_MS} from '../validation.js'
import type {Telemetry} from '../telemetry/telemetry.js'

export type WorkEvent =
  | {type: 'claimed'; slot: number; id: string; attempt: number}
  /** a node's claim ended: a verdict, put back, or lost; `slot` undefined for one no slot started (claimed ahead) */
  | {type: 'finished'; slot?: number; outcome: ExecuteOutcome}
  | {type: 'idle'; reason: NothingClaimableReason; detail: string}
  /** following: nothing claimable now (or the remote unreachable), waiting for a change */
  | {type: 'waiting'; reason: NothingClaimableReason | 'unreachable'; detail: string}
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
  /** stop at this time as if aborted (a batch job leaving before its time limit) */
  stopAt?: Date
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /** which process starts runners (the command's RunnerHelper; default: this one) */
  launcher?: RunnerLauncher
  onEvent?: (event: WorkEvent) => void
  pollMs?: number
  /**
   * Keep waiting when nothing is claimable, trying again on every change the
   * feed reports, until `signal` aborts (or --max-nodes is reached).
   */
  follow?: ChangeFeed
  /** each node run is a span under this one (telemetry/telemetry.ts); none by default */
  telemetry?: Telemetry
  /** nodes claimed per claim commit (see ClaimBuffer); default: 1 locally, from the contention on a remote */
  prefetch?: number
  /** the claims the loop holds while it runs: the command names them if it has to leave at once */
  held?: HeldClaims
}

export interface WorkSummary {
  worker: string
  claimed: number
  finished: number
  released: number
  lost: number
  by_status: Record<string, number>
  stopped_because: NothingClaimableReason | 'max_nodes' | 'interrupted' | 'deadline'
  detail: string
}

/** What a WorkSummary counts of the claims that ended, and a live tally with it. */
export type OutcomeCounts = Pick<WorkSummary, 'finished' | 'released' | 'lost' | 'by_status'>

/**
 * Counts one ended claim: the one rule for the summary a worker returns and the tally it shows while it runs, both
 * fed by its `finished` events (a node claimed ahead and put back unstarted is put back, as a stopped run is).
 */
export function countOutcome(counts: OutcomeCounts, outcome: ExecuteOutcome): void {
  if (outcome.kind === 'verdict') {
    counts.finished++
    counts.by_status[outcome.status] = (counts.by_status[outcome.status] ?? 0) + 1
  } else if (outcome.kind === 'released') counts.released++
  else counts.lost++
}

/**
 * The claim-and-run loop with N slots. A slot that finds nothing claimable waits
 * while other slots still run (their verdicts may unlock or spawn nodes); the
 * loop ends when every slot is idle and nothing is claimable, or, following,
 * only when stopped: idle slots wait for the feed's next change and try again.
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
  /** runs ended so far: a claim decided before one ended may have missed what its verdict made claimable */
  let runsEnded = 0
  let claiming: Promise<unknown> = Promise.resolve()
  let wake: (() => void) | undefined
  let lastIdle: Extract<ClaimResult, {claimed: undefined}> | undefined
  const emit = (event: WorkEvent) => opts.onEvent?.(event)
  /** every ended claim is counted here and told as `finished`: the summary and a live tally count the same */
  const settle = (outcome: ExecuteOutcome, slot?: number) => {
    countOutcome(summary, outcome)
    emit({type: 'finished', slot, outcome})
  }
  // every change the feed reports; a slot that saw one while it looked looks again before it waits
  let changes = 0
  let saidWaiting = ''
  const waitingFor = (reason: NothingClaimableReason | 'unreachable', detail: string) => {
    if (saidWaiting === `${reason}\n${detail}`) return
    saidWaiting = `${reason}\n${detail}`
    emit({type: 'waiting', reason, detail})
  }
  const wakeAll = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const nextWake = () =>
    new Promise<void>((resolve) => {
      const previous = wake
      wake = () => {
        previous?.()
        resolve()
      }
    })
  const underMaxNodes = () => opts.maxNodes === undefined || summary.claimed < opts.maxNodes

  // one slot's failure stops the others cleanly (their claims are put back) before it is reported
  const failed = new AbortController()
  let failure: unknown
  const deadline = opts.stopAt ? deadlineSignal(opts.stopAt) : undefined
  const signal = AbortSignal.any([opts.signal, deadline, failed.signal].filter((s) => s !== undefined))
  // once a stop is asked for (a signal, the deadline), a remote that cannot be reached only keeps claims from going
  // back: they stay held (said in the summary's detail, left to their lease) and the stop is no failure
  const stopAsked = () => opts.signal?.aborted === true || deadline?.aborted === true
  let unreachableOnStop: RemoteUnreachableError | undefined
  const saidErrors = new Set<string>()
  /** a slot's error (`slot` undefined: the final clean-up's, reported as the command's error only) */
  const fail = (err: unknown, slot?: number) => {
    if (stopAsked() && err instanceof RemoteUnreachableError) {
      unreachableOnStop ??= err
      return
    }
    // a remote gone away fails a slot's run and its next claim alike: the same error is said once
    const message = (err as Error).message
    if (slot !== undefined && !saidErrors.has(message)) {
      saidErrors.add(message)
      emit({type: 'error', slot, message})
    }
    failure ??= err
    failed.abort()
  }
  // every run in flight listens for the stop once: the slots' runs, the node made ready ahead, and the verdicts of
  // short runs still committing behind them (a dozen is normal with instant runs, not a leak)
  setMaxListeners(0, signal)
  // following, a slot may wait with nothing running: only the stop can wake it then
  signal.addEventListener('abort', wakeAll, {once: true})

  // claims from one process go one at a time: racing ourselves only burns retries;
  // one queued behind another when a stop is asked for, or --max-nodes is reached, is never made (undefined)
  // every claim from the commit that claims it until the one that gives it up lands
  const held = opts.held ?? new HeldClaims()
  const claims = new ClaimBuffer(
    ws,
    {worker: opts.worker, team: opts.team, exclude: opts.exclude, admission: opts.admission},
    held,
    opts.prefetch ?? (ws.distributed ? undefined : 1),
  )
  const serially = <T>(claim: () => Promise<T>): Promise<T | undefined> => {
    const next = claiming.then(() => (signal.aborted || !underMaxNodes() ? undefined : claim()))
    claiming = next.catch(() => {})
    return next
  }
  // Short runs spend a good part of their time between one runner's end and the next one's start: the claim commit,
  // the run's directory and data, the sandbox's set-up. While every slot runs, the next node is claimed ahead and made
  // ready to start (its sandbox waiting on a descriptor), and whichever slot ends first starts it. Not through a
  // remote, whose batches already follow the contention (ClaimBuffer).
  const ready: ReadyRun[] = []
  const runTimes = new RecentRunTimes()
  const claimSerially = (): Promise<{ready: ReadyRun} | {result: ClaimResult & {waited?: true}} | undefined> =>
    serially(async () => {
      const run = ready.shift()
      if (run) return {ready: run}
      try {
        return {result: await claims.next(opts.maxNodes === undefined ? undefined : opts.maxNodes - summary.claimed)}
      } finally {
        // claimed like the others (a claim commit holds them): claimed = finished + released + lost
        for (const id of claims.takeLost()) {
          summary.claimed++
          settle({kind: 'lost', id, why: 'taken back before it started'})
        }
      }
    })
  const claimAhead = () => {
    if (!claimAheadWanted({running, parallel: opts.parallel, distributed: ws.distributed, recentRunMs: runTimes.mean})) return
    const room = () =>
      ready.length === 0 && (opts.maxNodes === undefined || summary.claimed + claims.heldCount + ready.length < opts.maxNodes)
    if (!room()) return
    // a failure here is met again, and reported, by the slot's own claim
    serially(async () => {
      const node = room() ? await claims.claimAhead() : undefined
      if (node) ready.push(startRun(node, true))
    }).catch(() => {})
  }

  /**
   * One node's run, started now or (ahead) made ready and started by `start(true)`. `waited`: claimed in an earlier
   * batch, so the branch is looked at once before the runner starts (a cancel meanwhile ends it unstarted).
   */
  const startRun = (node: NodeFile, ahead: boolean, waited = false): ReadyRun => {
    let processEnded!: () => void
    const ended = new Promise<void>((resolve) => (processEnded = resolve))
    let start: (go: boolean) => void = () => {}
    const startGate = ahead ? new Promise<boolean>((resolve) => (start = resolve)) : undefined
    let startedAt: number | undefined
    // a claim that lands after the stop is put back at once by executeClaimedNode, without running
    const outcome = executeClaimedNode(ws, node, {
      worker: opts.worker,
      signal,
      pollMs: opts.pollMs,
      startGate,
      lookFirst: waited,
      onProcessStart: () => {
        startedAt = Date.now()
        claimAhead()
      },
      onProcessEnd: () => {
        if (startedAt !== undefined) runTimes.add(Date.now() - startedAt)
        processEnded()
      },
      groups: opts.groups,
      launcher: opts.launcher,
      telemetry: opts.telemetry,
      onRemoteUnreachable: opts.follow ? (message) => waitingFor('unreachable', message) : undefined,
    })
    // a run made ready ahead may fail before a slot takes it: the slot (or the final clean-up) reports it then.
    // A run that ended (verdict, put back, lost) holds nothing; one that threw may still hold its claim
    outcome.then(
      () => held.drop(node.id, node),
      () => {},
    )
    return {node, ended, outcome, start}
  }

  /** A slot's run, counted from its start until its verdict; the slot moves on once its process ended. */
  const runInSlot = (index: number, run: ReadyRun): Promise<void> => {
    summary.claimed++
    running++
    emit({type: 'claimed', slot: index, id: run.node.id, attempt: run.node.attempt})
    const finished = run.outcome
      .then((outcome) => settle(outcome, index))
      .catch((err: unknown) => fail(err, index))
      .finally(() => {
        running--
        runsEnded++
        inFlight.delete(finished)
        wakeAll()
      })
    inFlight.add(finished)
    run.start(true)
    return Promise.race([run.ended, finished])
  }

  const slot = async (index: number): Promise<void> => {
    try {
      await slotLoop(index)
    } catch (err) {
      fail(err, index)
      wakeAll()
    }
  }

  const slotLoop = async (index: number): Promise<void> => {
    while (!signal.aborted && underMaxNodes()) {
      const seen = changes
      const endedBefore = runsEnded
      let next: Awaited<ReturnType<typeof claimSerially>>
      try {
        next = await claimSerially()
      } catch (err) {
        // following a remote, an unreachable remote is waited out (the fetches back off) rather than the end; a
        // refusal (a hook, a rewound branch) is not: it ends the worker with its reason
        if (!(opts.follow && err instanceof RemoteUnreachableError) || signal.aborted) throw err
        waitingFor('unreachable', err.message)
        if (changes === seen) await nextWake()
        continue
      }
      if (!next) return
      if ('ready' in next) {
        saidWaiting = ''
        opts.follow?.claimed()
        await runInSlot(index, next.ready)
        continue
      }
      const result = next.result
      if (!result.claimed) {
        lastIdle = result
        if (signal.aborted) return
        // a claim is decided before the verdicts queued behind it (claims are urgent): a run that ended meanwhile
        // may have made a node claimable (its dependents, its spawns) after this answer was given, so look again
        if (runsEnded !== endedBefore) continue
        if (running === 0 && !opts.follow) return
        if (running === 0) {
          waitingFor(result.reason, result.detail)
          await ws.store.forgetUnreferenced()
        }
        // wait for another slot's verdict or, following, any change of the state: either may make something claimable
        if (changes === seen) await nextWake()
        continue
      }
      saidWaiting = ''
      opts.follow?.claimed()
      // the slot claims its next node as soon as the process ends; the verdict commits behind it
      await runInSlot(index, startRun(result.claimed, false, result.waited))
    }
  }

  const inFlight = new Set<Promise<void>>()
  // the first run would wait for the sandbox probe (a bwrap start, once per process): it runs beside the first claim
  if (ws.config.runner.sandbox !== 'off') void probeSandbox()
  try {
    await opts.follow?.start(() => {
      changes++
      wakeAll()
    })
    await Promise.all(Array.from({length: Math.max(1, opts.parallel)}, (_, i) => slot(i)))
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
  } finally {
    signal.removeEventListener('abort', wakeAll)
    await opts.follow?.close()
    // nodes claimed ahead that no slot started (a stop, a failure) go back at once, without running; claimed like the
    // others (a claim commit holds them): claimed = finished + released + lost
    const unstarted = ready.splice(0)
    for (const run of unstarted) run.start(false)
    for (const outcome of await Promise.allSettled(unstarted.map((run) => run.outcome))) {
      summary.claimed++
      // one that failed still holds its claim: put back below, with the failed runs'
      if (outcome.status === 'fulfilled') settle(outcome.value)
    }
    const batch = await claims.releaseUnstarted().catch((err: unknown) => {
      fail(err)
      // held still: a failure is reported below, an unreachable remote on a stop in the detail
      return {released: [], lost: []}
    })
    summary.claimed += batch.released.length + batch.lost.length
    for (const id of batch.released) settle({kind: 'released', id})
    for (const id of batch.lost) settle({kind: 'lost', id, why: 'taken back before it started'})
    // a run that failed with an error (not a verdict) left its node running under this worker: it goes back, as on a
    // stop, rather than wait for its lease to expire; the error itself is reported below
    const failedRuns = held.ids
    if (failedRuns.length > 0) {
      // a release that fails too leaves them to their lease: the first error is the one reported
      const released = await releaseHeld(ws, opts.worker, (node) => held.holds(node), 'after an error').then(
        (ids) => new Set(ids),
        () => undefined,
      )
      for (const id of released ? failedRuns : []) {
        held.drop(id)
        settle(released!.has(id) ? {kind: 'released', id, why: 'after an error'} : {kind: 'lost', id, why: 'not held any more'})
      }
    }
  }
  if (failure) {
    // what the clean-up could not put back (a remote gone away) stays claimed until its lease expires: said with the error
    if (held.ids.length > 0 && failure instanceof Error) failure.message += `\n${await leftClaimsText(ws, opts.worker, held.ids, failure)}`
    throw failure
  }
  if (unreachableOnStop && held.ids.length > 0)
    summary.detail = `the remote could not be reached to put the claims back (${firstLine(unreachableOnStop.message)}): ${claimsLeftText(opts.worker, held.ids, ws.config.lease.duration)}`
  if (opts.signal?.aborted) summary.stopped_because = 'interrupted'
  else if (deadline?.aborted) summary.stopped_because = 'deadline'
  else if (!underMaxNodes()) summary.stopped_because = 'max_nodes'
  else if (lastIdle) {
    summary.stopped_because = lastIdle.reason
    summary.detail = lastIdle.detail
    emit({type: 'idle', reason: lastIdle.reason, detail: lastIdle.detail})
  }
  return summary
}

const firstLine = (text: string) => text.split('\n', 1)[0]!

/**
 * What the claims a failed worker could not put back become: after a rewind of the remote, read at the rewound tip
 * (the claims the rewind dropped are no lease's to bring back); otherwise they lapse with their lease.
 */
async function leftClaimsText(ws: Workspace, worker: string, ids: readonly string[], failure: Error): Promise<string> {
  if (failure instanceof RemoteRewoundError && failure.tip)
    return claimsLeftAfterRewindText(ws, worker, ids, failure.tip).catch(() => claimsLeftText(worker, ids, ws.config.lease.duration))
  return claimsLeftText(worker, ids, ws.config.lease.duration)
}

/** A node claimed ahead: its run is under way up to the runner's start, which `start(true)` gives. */
interface ReadyRun {
  node: NodeFile
  /** the runner's process ended (or the run ended without one) */
  ended: Promise<void>
  outcome: Promise<ExecuteOutcome>
  /** start it (true), or put it back without running it (false); nothing for a run started at once */
  start: (go: boolean) => void
}

/** Runs shorter than this (a running mean) have their next node claimed while they run. */
export const CLAIM_AHEAD_BELOW_MS = 2000

/** Whether a runner that just started should have the next node claimed ahead (see runWorkLoop). */
export function claimAheadWanted(now: {running: number; parallel: number; distributed: boolean; recentRunMs: number | undefined}): boolean {
  // a slot without a node claims the best one itself at once; long runs lose nothing worth holding a node idle for
  return !now.distributed && now.running >= now.parallel && now.recentRunMs !== undefined && now.recentRunMs < CLAIM_AHEAD_BELOW_MS
}

/** A running mean of how long this loop's runner processes lived, the latest weighing most. */
export class RecentRunTimes {
  private meanMs: number | undefined

  add(ms: number): void {
    this.meanMs = this.meanMs === undefined ? ms : 0.7 * this.meanMs + 0.3 * ms
  }

  get mean(): number | undefined {
    return this.meanMs
  }
}

/**
 * Aborts at `at`; a time beyond what a timer can hold (24.8 days) never comes during one run.
 * A time already past aborts at once: a timer of 0 would fire a tick later, after the first claim.
 */
function deadlineSignal(at: Date): AbortSignal | undefined {
  const wait = at.getTime() - Date.now()
  if (wait <= 0) return AbortSignal.abort(new DOMException('the --stop-at time has passed', 'TimeoutError'))
  return wait > MAX_DURATION_MS ? undefined : AbortSignal.timeout(wait)
}
