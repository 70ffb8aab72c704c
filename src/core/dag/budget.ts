import {NothingToDoError} from '../errors.js'
import type {FileChange} from '../git/tree-edit.js'
import type {ConfigFile, NodeFile, VerdictFile} from '../schemas/index.js'
import {dumpStateDocument} from '../state/documents.js'
import {nowIso} from '../state/node-files.js'
import type {AdmissionPolicy} from './scheduler.js'
import {agentSpend} from './agent-calls.js'
import {agentReservations, RESERVATION_MARGIN_MS} from './agent-reservations.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'

export interface BudgetState {
  day: string
  daily_usd: number | null
  /** verdict costs of runs finished this UTC day (those a rerun retired included) */
  spent_usd: number
  /** reserve_per_run_usd for every node running now, and what the agent calls in flight reserved */
  reserved_usd: number
  running: number
  remaining_usd: number | null
}

export const utcDay = (date: Date): string => date.toISOString().slice(0, 10)

/**
 * What a node's runs cost on `day` (UTC): its verdict's cost when that run finished that day, and what the reruns of
 * that day carried onto the node (`spent`) when they took its earlier verdicts off the tree.
 */
export function nodeSpendOn(day: string, node: NodeFile | undefined, verdict: VerdictFile | undefined): number {
  return (verdict?.cost && verdict.finished_at.startsWith(day) ? verdict.cost.usd : 0) + (node?.spent?.day === day ? node.spent.usd : 0)
}

/**
 * Spend of the UTC day: the costs recorded in the day's verdicts and agent calls, plus a
 * reservation for every run in flight. Read from one state of the DAG, so a
 * claim that checks it lands only if that state is still the tip: no number of
 * concurrent workers can overspend. (A run that costs more than its reservation
 * can: set reserve_per_run_usd to the most a run costs.)
 */
export async function budgetState(
  ws: Workspace,
  snap: Snapshot,
  now = new Date(),
  /** a reservation left out: the call about to replace it */
  opts: {except?: string} = {},
): Promise<BudgetState> {
  const day = utcDay(now)
  let spent = 0
  let running = 0
  for (const record of snap.nodes.values()) {
    if (record.node?.status === 'running') running++
    const verdict = record.verdictOid ? await ws.store.verdict(record).catch(() => undefined) : undefined
    spent += nodeSpendOn(day, record.node, verdict)
  }
  spent += await agentSpend(ws, snap.commit, day)
  const agentsInFlight = (await agentReservations(ws, snap, now)).live.filter((r) => r.path !== opts.except)
  const reserved = running * ws.config.budget.reserve_per_run_usd + agentsInFlight.reduce((sum, r) => sum + r.usd, 0)
  const daily = ws.config.budget.daily_usd ?? null
  return {
    day,
    daily_usd: daily,
    spent_usd: spent,
    reserved_usd: reserved,
    running,
    remaining_usd: daily === null ? null : daily - spent - reserved,
  }
}

/** The budget's part of the admission policy: every claim stops once the day's budget is spent or reserved. */
export async function budgetAdmission(ws: Workspace, snap: Snapshot): Promise<Partial<AdmissionPolicy>> {
  if (ws.config.budget.daily_usd === undefined) return {}
  const state = await budgetState(ws, snap)
  const next = ws.config.budget.reserve_per_run_usd
  const exhausted = state.remaining_usd! - next < -1e-9 || state.remaining_usd! <= 0
  if (!exhausted) return {}
  const detail = `spent $${state.spent_usd.toFixed(2)} and reserved $${state.reserved_usd.toFixed(2)} of $${state.daily_usd!.toFixed(2)} on ${state.day} (UTC); a run reserves $${next.toFixed(2)}`
  return {globalBlock: () => ({reason: 'budget_exhausted' as const, detail})}
}

/** What the budget holds for one agent attempt before it runs, and counts it at when the agent reports no readable cost. */
export const agentAttemptReserveUsd = (config: Pick<ConfigFile, 'budget'>): number =>
  config.budget.reserve_per_agent_call_usd ?? config.budget.reserve_per_run_usd

/**
 * Stops an agent call before an attempt that could pass the day's budget: the
 * spend so far (verdicts, agent calls, runs and other agent calls in flight), what
 * this call has cost already, and a reservation for the attempt
 * (reserve_per_agent_call_usd, else reserve_per_run_usd). Design and assess ask it
 * before every attempt. The reservation is committed (`call.file`, replaced by the
 * call's record): checked and written in one transaction, so two processes, or two
 * clones sharing a remote, cannot both take what is left of the day.
 */
export function agentBudgetCheck(
  ws: Workspace,
  call: {kind: 'design' | 'assess'; agent: string; file: string; timeoutMs: number},
): (spentSoFarUsd: number) => Promise<void> {
  return async (spentSoFar) => {
    if (ws.config.budget.daily_usd === undefined) return
    await ws.commit(async (snap) => {
      const daily = ws.config.budget.daily_usd
      if (daily === undefined) return {result: undefined}
      const now = new Date()
      const state = await budgetState(ws, snap, now, {except: call.file})
      const reserve = agentAttemptReserveUsd(ws.config)
      const remaining = state.remaining_usd! - spentSoFar
      if (remaining - reserve < -1e-9 || remaining <= 0) {
        throw new NothingToDoError(
          `budget_exhausted: spent $${(state.spent_usd + spentSoFar).toFixed(2)} and reserved $${state.reserved_usd.toFixed(2)} of $${daily.toFixed(2)} on ${state.day} (UTC); an agent attempt reserves $${reserve.toFixed(2)}`,
          'budget_exhausted',
        )
      }
      const files = new Map<string, FileChange>()
      // reservations whose process died mid-call hold nothing any more: this commit takes them away
      for (const path of (await agentReservations(ws, snap, now)).expired) files.set(path, null)
      const reservedUsd = spentSoFar + reserve
      files.set(
        call.file,
        dumpStateDocument({
          kind: call.kind,
          agent: call.agent,
          reserved_usd: reservedUsd,
          reserved_at: nowIso(now),
          expires_at: nowIso(new Date(now.getTime() + call.timeoutMs + RESERVATION_MARGIN_MS)),
        }),
      )
      return {
        files,
        message: {action: 'reserve', subject: `reserve $${reservedUsd.toFixed(4)} for ${call.kind} by ${call.agent}`, worker: call.agent},
        result: undefined,
      }
    })
  }
}
