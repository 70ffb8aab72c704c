import {mkdir, rm} from 'node:fs/promises'
import {hostname} from 'node:os'
import {resolve} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import type {DesignResult} from '../agent/design.js'
import {spendOfFailedCall} from '../agent/run-agent.js'
import type {TopAudit} from '../auditor/top.js'
import {releaseHeld} from '../dag/claims.js'
import {asRigorError, CheckFailedError, EXIT, NothingToDoError} from '../errors.js'
import {
  STEP_NEEDS,
  type CycleConfig,
  type CycleOutcome,
  type CycleRecord,
  type CycleStepName,
  type CycleStepRecord,
  type CycleStepStatus,
} from '../schemas/index.js'
import {nowIso} from '../state/node-files.js'
import type {Workspace} from '../state/workspace.js'
import type {CycleRankResult} from './cycle-rank.js'
import {
  archiveCycle,
  cycleFiles,
  cycleProcessAlive,
  ownProcess,
  readCancelRequest,
  readCycleRecord,
  withCycleLock,
  writeCycleRecord,
  type CycleFiles,
} from './cycle-records.js'
import {STEP_RUNNERS, StepStopped, type AssessStepResult, type CycleOptions} from './cycle-steps.js'
import type {WorkSummary} from './worker.js'
import {observeStep} from './cycle-step.js'
import {ATTR} from '../telemetry/telemetry.js'
import {notify} from './notify.js'
import {pruneKeptCopies} from '../state/kept-copies.js'
import {sha256Hex} from '../state/checksum.js'

export type {CycleOptions, CycleStepEvent} from './cycle-steps.js'

/**
 * The worker name of this checkout's cycle: stable, so a rerun can take back what a crashed run held, and its own,
 * so that two checkouts on one machine sharing a remote (self-hosted runners, two scheduled clones) never take
 * back each other's claims: the host, then 6 hex digits of the checkout's git directory.
 */
export const cycleWorker = (gitDir: string): string =>
  `cycle@${hostname().split('.')[0]!.toLowerCase()}-${sha256Hex(resolve(gitDir)).slice(0, 6)}`

/** A step in one of these states is not run again when the cycle resumes. */
const ENDED: readonly CycleStepStatus[] = ['succeeded', 'failed', 'stopped', 'skipped', 'blocked', 'cancelled']

export interface CycleResult {
  id: string
  resumed: boolean
  /** nodes a crashed earlier run of the cycle held, put back before working (and on cancel, any it still held) */
  released: string[]
  /** copies under .git/rigor unused for four weeks, removed as the cycle started (kept-copies.ts): a daily cycle keeps them bounded */
  removed_copies: string[]
  /** interrupted: stopped by SIGINT/SIGTERM; the next `rigor cycle` resumes it */
  outcome: Exclude<CycleOutcome, 'running'> | 'interrupted'
  steps: Array<Omit<CycleStepRecord, 'result' | 'done_nodes'>>
  cost_usd: number
  design?: DesignResult
  work?: WorkSummary
  assess?: AssessStepResult
  audit?: TopAudit[]
  rank?: CycleRankResult
  report?: {files: string[]; health_score: number}
}

/**
 * One research cycle: the steps rigor.yaml's `cycle:` lists (by default design,
 * work, audit, rank, report), each retried as configured. A step that fails is
 * recorded and the cycle goes on with every step that does not need it
 * (STEP_NEEDS); the outcome says whether any failed. Progress is kept in
 * .git/rigor/cycle.json: run it again after a crash and it continues with the
 * first unfinished step, after putting back the nodes the crashed run held
 * (finished nodes are never run again). A finished, or cancelled, cycle's
 * record moves to .git/rigor/cycles/<id>.json.
 */
export async function runCycle(ws: Workspace, opts: CycleOptions): Promise<CycleResult> {
  const files = cycleFiles(ws.repo.paths.gitDir)
  const config = ws.config.cycle
  const {record, resumed} = await startOrResume(files, config, cycleWorker(ws.repo.paths.gitDir))
  // a resumed cycle keeps the name its claims carry
  const worker = record.worker
  const save = () => writeCycleRecord(files.current, record)
  const released = resumed ? await releaseHeld(ws, worker, () => true, 'of a crashed cycle') : []
  const removedCopies = pruneKeptCopies(ws.repo.paths.commonDir)
  opts.telemetry?.set({[ATTR.cycleId]: record.id, 'rigor.cycle.resumed': resumed})
  for (const step of record.steps) {
    if (ENDED.includes(step.status)) {
      await opts.onStep?.({kind: 'kept', step})
      continue
    }
    if (opts.signal?.aborted) break
    const heldBack = STEP_NEEDS[step.name]
      .map((need) => record.steps.find((s) => s.name === need))
      .find((need) => need?.status === 'failed' || need?.status === 'blocked')
    if (config[step.name].skip || opts.skip?.includes(step.name)) endWithout(step, 'skipped')
    else if (heldBack)
      endWithout(step, 'blocked', `needs ${heldBack.name}, which ${heldBack.status === 'failed' ? 'failed' : 'was blocked'}`)
    else await runStep(ws, {record, step, opts, worker, save, settings: config[step.name]})
    record.cost_usd = record.steps.reduce((sum, s) => sum + s.cost_usd, 0)
    await save()
    if (step.status !== 'running') await opts.onStep?.({kind: 'finish', step})
  }
  if (opts.signal?.aborted) {
    const request = await readCancelRequest(files)
    if (request?.id !== record.id) return resultOf(record, 'interrupted', resumed, released, removedCopies)
    released.push(...(await releaseHeld(ws, worker, () => true, 'of a cancelled cycle')))
    await finishCancelled(files, record)
    return resultOf(record, 'cancelled', resumed, released, removedCopies)
  }
  record.outcome = record.steps.some((s) => s.status === 'failed')
    ? 'failed'
    : record.steps.some((s) => s.status === 'stopped')
      ? 'stopped'
      : 'succeeded'
  record.finished_at = nowIso()
  await archiveCycle(files, record)
  return resultOf(record, record.outcome, resumed, released, removedCopies)
}

/** Under the checkout's cycle lock: refuses while another cycle runs here, else resumes the one a crash left or starts one. */
async function startOrResume(files: CycleFiles, config: CycleConfig, worker: string): Promise<{record: CycleRecord; resumed: boolean}> {
  return withCycleLock(files, async () => {
    await mkdir(files.dir, {recursive: true})
    const previous = await readCycleRecord(files.current, worker)
    if (previous && cycleProcessAlive(previous) && previous.pid !== process.pid) {
      throw new CheckFailedError(`another rigor cycle (${previous.id}, pid ${previous.pid}) is running in this checkout`, {
        fix: 'wait for it to finish, or stop it with `rigor cycle cancel`; a cycle killed outright resumes with the next `rigor cycle`',
      })
    }
    // a request whose cycle is gone: whoever asked has recorded the cancellation or will find nothing to cancel
    await rm(files.cancel, {force: true})
    const planned = config.steps.filter((name) => config[name].enabled)
    const now = nowIso()
    const record: CycleRecord = {
      version: 1,
      id: previous?.id ?? now.replace(/[:.]/g, '-'),
      started_at: previous?.started_at ?? now,
      finished_at: null,
      ...ownProcess(),
      worker,
      outcome: 'running',
      // the steps as rigor.yaml says now; what a crashed run finished stays finished
      steps: planned.map(
        (name) =>
          previous?.steps.find((s) => s.name === name && (ENDED.includes(s.status) || s.attempts > 0)) ?? {
            name,
            status: 'pending',
            attempts: 0,
            cost_usd: 0,
          },
      ),
      cost_usd: 0,
    }
    record.cost_usd = record.steps.reduce((sum, s) => sum + s.cost_usd, 0)
    await writeCycleRecord(files.current, record)
    return {record, resumed: Boolean(previous)}
  })
}

function endWithout(step: CycleStepRecord, status: 'skipped' | 'blocked', reason?: string): void {
  step.status = status
  if (reason) step.reason = reason
  step.finished_at = nowIso()
}

/**
 * Runs one step, again after a failure as often as its `retry` says. A stop
 * (a NothingToDoError such as budget_exhausted) is no failure and not retried.
 * Interrupted, the step stays `running` for the resumed cycle to run again.
 */
async function runStep(
  ws: Workspace,
  ctx: {
    record: CycleRecord
    step: CycleStepRecord
    opts: CycleOptions
    worker: string
    save: () => Promise<void>
    settings: {retry: number; retry_delay: number}
  },
): Promise<void> {
  const {step, opts, settings} = ctx
  step.status = 'running'
  step.started_at ??= nowIso()
  delete step.error
  delete step.fix
  delete step.reason
  for (let tries = 1; ; tries++) {
    step.attempts++
    await ctx.save()
    await opts.onStep?.({kind: 'start', step})
    try {
      const value = await observeStep(opts.telemetry, ctx.record.id, step.name, (telemetry) =>
        STEP_RUNNERS[step.name]({ws, ...ctx, telemetry}),
      )
      if (opts.signal?.aborted) return
      step.status = 'succeeded'
      step.result = value
      delete step.error
      delete step.fix
      break
    } catch (err) {
      // a failed or stopped agent call paid for its attempts
      step.cost_usd += spendOfFailedCall(err)?.cost.usd ?? 0
      if (opts.signal?.aborted) return
      const error = asRigorError(err)
      step.error = error.message
      if (error.fix) step.fix = error.fix
      else delete step.fix
      if (err instanceof NothingToDoError) {
        step.status = 'stopped'
        step.reason = err.reason
        if (err instanceof StepStopped) step.result = err.result
        break
      }
      if (tries > settings.retry) {
        step.status = 'failed'
        await notify(ws, {kind: 'cycle_step_failed', cycle: ctx.record.id, step: step.name, error: error.message})
        break
      }
      await opts.onStep?.({kind: 'retry', step, delayMs: settings.retry_delay})
      await ctx.save()
      await delay(settings.retry_delay, undefined, {signal: opts.signal}).catch(() => {})
      if (opts.signal?.aborted) return
    }
  }
  step.finished_at = nowIso()
}

/** `rigor cycle cancel` asked for it: every step not ended is cancelled, and the record is the cycle's last word. */
export async function finishCancelled(files: CycleFiles, record: CycleRecord): Promise<void> {
  const now = nowIso()
  for (const step of record.steps) {
    if (ENDED.includes(step.status)) continue
    step.status = 'cancelled'
    step.finished_at = now
  }
  record.outcome = 'cancelled'
  record.finished_at = now
  record.cost_usd = record.steps.reduce((sum, s) => sum + s.cost_usd, 0)
  await archiveCycle(files, record)
  await rm(files.cancel, {force: true})
}

function resultOf(
  record: CycleRecord,
  outcome: CycleResult['outcome'],
  resumed: boolean,
  released: string[],
  removedCopies: string[],
): CycleResult {
  const result: CycleResult = {
    id: record.id,
    resumed,
    released,
    removed_copies: removedCopies,
    outcome,
    steps: record.steps.map(({result: _result, done_nodes: _done, ...step}) => step),
    cost_usd: record.cost_usd,
  }
  const results = result as unknown as Record<CycleStepName, unknown>
  for (const step of record.steps) if (step.result !== undefined) results[step.name] = step.result
  // assess keeps its progress as it goes: a stopped or failed assess still says what it judged
  const assess = record.steps.find((s) => s.name === 'assess')
  if (assess?.done_nodes && !result.assess) result.assess = {assessed: [...assess.done_nodes]}
  return result
}

/**
 * The exit code of a cycle that ran to its end: 1 when a step failed, 3 when
 * one stopped for want of budget (nothing failed, there was nothing more it
 * could do), else 0. A signal's own code (130, 143) wins over these.
 */
export function cycleExitCode(outcome: CycleResult['outcome']): number {
  if (outcome === 'failed') return EXIT.failure
  if (outcome === 'stopped') return EXIT.nothingToDo
  return EXIT.ok
}
