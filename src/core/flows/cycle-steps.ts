import {hostname} from 'node:os'
import {NothingToDoError} from '../errors.js'
import {assessNode} from '../agent/assess.js'
import {designNodes} from '../agent/design.js'
import {auditTopCandidates} from '../auditor/top.js'
import type {CommitSigner} from '../git/signing.js'
import type {HeldClaims} from '../dag/claims.js'
import type {RunGroups} from '../proc.js'
import type {RunnerLauncher} from '../dag/launcher.js'
import type {CycleRecord, CycleStepName, CycleStepRecord} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {parseTrailers} from '../state/commit-message.js'
import {writeDailyReport} from '../views/report.js'
import {rankForCycle} from './cycle-rank.js'
import {policies} from './policies.js'
import {runWorkLoop, type WorkEvent} from './worker.js'
import type {Telemetry} from '../telemetry/telemetry.js'
import {notifyAudit} from './notify.js'

export interface CycleOptions {
  parallel: number
  designCount: number
  keep: number
  /** steps to skip this time, as if rigor.yaml said `skip: true` */
  skip?: CycleStepName[]
  /** awaited: a live display the work step drew must end before the next step's lines can show */
  onStep?: (event: CycleStepEvent) => void | Promise<void>
  onWork?: (event: WorkEvent) => void
  signal?: AbortSignal
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /** which process starts runners (the command's RunnerHelper; default: this one) */
  launcher?: RunnerLauncher
  /** the cycle's span: each step is a span under it (telemetry/telemetry.ts); none by default */
  telemetry?: Telemetry
  /** who the audit step audits as (default: cycleAuditor(), auditor-<host>); with auditors: in rigor.yaml, one of them */
  auditor?: string
  /** the key that signs the audit step's commits; none: unsigned (refused when auditors: is set) */
  signer?: CommitSigner
  /** the claims the work step holds, kept up to date: what a second signal says the cycle left claimed */
  held?: HeldClaims
}

/** The audit step's auditor when none is named: this machine's, never the cycle's worker (who ran the nodes). */
export const cycleAuditor = (): string =>
  `auditor-${hostname()
    .split('.')[0]!
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')}`

/** start: an attempt begins; retry: an attempt failed and another follows after `delayMs`; finish: the step ended (or was skipped, blocked); kept: done before a restart */
export type CycleStepEvent =
  | {kind: 'start'; step: CycleStepRecord}
  | {kind: 'retry'; step: CycleStepRecord; delayMs: number}
  | {kind: 'finish'; step: CycleStepRecord}
  | {kind: 'kept'; step: CycleStepRecord}

export interface StepContext {
  ws: Workspace
  record: CycleRecord
  /** the step's own record: a step adds what its paid calls cost to `cost_usd` */
  step: CycleStepRecord
  opts: CycleOptions
  worker: string
  /** writes the cycle's record, for a step that keeps progress within itself (assess) */
  save: () => Promise<void>
  /** the step's span */
  telemetry: Telemetry
}

/** A step that ended early for a reason that is no fault (a spent budget), with what it did until then. */
export class StepStopped extends NothingToDoError {
  constructor(
    message: string,
    reason: string,
    readonly result: unknown,
  ) {
    super(message, reason)
  }
}

/** What each step does; each returns the result `rigor cycle --json` prints under its name. */
export const STEP_RUNNERS: Record<CycleStepName, (ctx: StepContext) => Promise<unknown>> = {
  design: async ({ws, step, opts, telemetry}) => {
    const designed = await designNodes(ws, {count: opts.designCount, signal: opts.signal, telemetry})
    step.cost_usd += designed.cost_usd
    return designed
  },
  work: async ({ws, step, opts, worker, telemetry}) => {
    const summary = await runWorkLoop(ws, {
      admission: policies.admission,
      worker,
      parallel: opts.parallel,
      onEvent: opts.onWork,
      signal: opts.signal,
      groups: opts.groups,
      launcher: opts.launcher,
      telemetry,
      held: opts.held,
    })
    // what the runs of this step reported, counted again as a whole after a restart
    step.cost_usd = await verdictCost(ws, worker, step.started_at!)
    // a spent budget stops the step as it stops design and assess: no fault, but not everything was run
    if (summary.stopped_because === 'budget_exhausted')
      throw new StepStopped(`budget_exhausted: ${summary.detail}`, 'budget_exhausted', summary)
    return summary
  },
  assess: assessNewVerdicts,
  audit: ({ws, opts, telemetry}) =>
    auditTopCandidates(ws, {
      telemetry,
      onAudited: (outcome) => notifyAudit(ws, outcome),
      // a stop ends the audit under way without writing it; the resumed cycle audits again
      signal: opts.signal,
      groups: opts.groups,
      count: opts.keep,
      auditor: opts.auditor ?? cycleAuditor(),
      signer: opts.signer,
    }),
  rank: ({ws, opts, worker}) => rankForCycle(ws, {keep: opts.keep, by: worker}),
  report: async ({ws, worker}) => {
    const report = await writeDailyReport(ws, {auditStats: policies.auditStats, by: worker})
    return {files: report.files, health_score: report.report.health_score}
  },
}

export interface AssessStepResult {
  /** every verdict of this cycle judged so far, in the order they landed */
  assessed: string[]
}

/**
 * Judges the verdicts that landed since the cycle started (its own runs and any
 * other worker's), one agent call each, each asking the budget first. Progress
 * is saved after every node, so a resumed or retried step pays for none twice.
 * The first failed or stopped call ends the step: a broken agent or a spent
 * budget would fail the rest the same way.
 */
async function assessNewVerdicts({ws, record, step, opts, save, telemetry}: StepContext): Promise<AssessStepResult> {
  const snap = await ws.currentSnapshot()
  const fresh: Array<{id: string; at: string}> = []
  for (const r of snap.nodes.values()) {
    if (!r.node || r.node.sweep || !r.verdictOid) continue
    const verdict = await ws.store.verdict(r).catch(() => undefined)
    // a cancelled node's verdict says nothing to judge
    if (verdict && verdict.decided_by !== 'cancel' && verdict.finished_at >= record.started_at)
      fresh.push({id: r.id, at: verdict.finished_at})
  }
  fresh.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id))
  step.done_nodes ??= []
  const assessedAt = fresh.length > 0 && snap.commit ? await assessmentsSince(ws, snap.commit, record.started_at) : new Map()
  for (const {id, at} of fresh) {
    if (step.done_nodes.includes(id)) continue
    if (opts.signal?.aborted) break
    // its assessment landed after its verdict, and the cycle stopped before it wrote that down: an agent would be paid
    // to judge it again, and learnings.md would hold it twice
    const judgedAt = assessedAt.get(id)
    if (judgedAt !== undefined && judgedAt >= at.slice(0, 19)) {
      step.done_nodes.push(id)
      await save()
      continue
    }
    // assessed already (the cycle stopped between that commit and its record of it): done, not a failure
    const judged = await assessNode(ws, id, {signal: opts.signal, telemetry}).catch((err: unknown) => {
      if (err instanceof NothingToDoError && err.reason === 'already_assessed') return {cost_usd: 0}
      throw err
    })
    step.cost_usd += judged.cost_usd
    step.done_nodes.push(id)
    await save()
  }
  return {assessed: [...step.done_nodes]}
}

/**
 * The newest assessment commit of each node since `since` (`Rigor-Action: assess`), by node: its committer time to
 * the second, as a verdict's `finished_at` reads to the second.
 */
async function assessmentsSince(ws: Workspace, tip: string, since: string): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for (const {time, message} of await ws.repo.commitMessages(tip, '^Rigor-Action: assess$')) {
    const at = new Date(time).toISOString().slice(0, 19)
    if (at < since.slice(0, 19)) continue
    const trailers = parseTrailers(message)
    if (trailers.action !== 'assess') continue
    for (const node of trailers.nodes) if ((found.get(node) ?? '') < at) found.set(node, at)
  }
  return found
}

/** What the verdicts `worker` finished since `since` cost. */
async function verdictCost(ws: Workspace, worker: string, since: string): Promise<number> {
  const snap = await ws.currentSnapshot()
  let usd = 0
  for (const r of snap.nodes.values()) {
    if (!r.verdictOid) continue
    const verdict = await ws.store.verdict(r).catch(() => undefined)
    if (verdict?.cost && verdict.worker === worker && verdict.finished_at >= since) usd += verdict.cost.usd
  }
  return usd
}
