/**
 * `notify.command` of rigor.yaml: the program told when something needs a
 * person (a crossed health threshold, a FAIL audit, a deploy, a failed cycle
 * step). It runs as argv, never through a shell, with the message on stdin and
 * the event as JSON in RIGOR_EVENT; it is killed after notify.timeout. A
 * notifier that fails is a warning: the command that called it goes on.
 */
import {runConfiguredCommand} from '../configured-command.js'
import type {AuditOutcome} from '../auditor/index.js'
import type {NotifyConfig, NotifyEventKind} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'

/** A health check as `rigor health` reports it (flows/health.ts). */
export interface HealthCheck {
  name: 'score' | 'audit_backlog' | 'failed_audit_rate' | 'stuck_leases'
  value: number | null
  threshold: number | null
  /** `min`: the value must be at least the threshold; `max`: at most */
  bound: 'min' | 'max'
  ok: boolean
}

export type RigorEvent =
  | {kind: 'health'; crossed: HealthCheck[]}
  | {kind: 'audit_fail'; node: string; auditor: string; file: string; failed_checks: string[]}
  | {kind: 'deploy'; action: 'deploy' | 'rollback'; node: string; stage: string; by: string; file: string}
  | {kind: 'cycle_step_failed'; cycle: string; step: string; error: string}

export interface NotifyOutcome {
  /** whether the program ran and exited 0 */
  sent: boolean
  /** why it was not run: no notify: in rigor.yaml, or notify.events leaves this event out */
  skipped?: 'not_configured' | 'not_subscribed'
  /** why it failed (also said as a warning) */
  problem?: string
}

/** What RIGOR_EVENT holds: the event, when, and where. */
export type EventPayload = RigorEvent & {version: 1; at: string; workspace: string; branch: string; commit: string | null}

/** Tells notify.command about `event`; never throws for the notifier's sake (a failure is a warning on the workspace). */
export async function notify(ws: Workspace, event: RigorEvent, opts: {now?: Date} = {}): Promise<NotifyOutcome> {
  const config = ws.config.notify
  if (!config) return {sent: false, skipped: 'not_configured'}
  if (config.events && !config.events.includes(event.kind as NotifyEventKind)) return {sent: false, skipped: 'not_subscribed'}
  try {
    return await runNotifier(ws, config, event, opts.now ?? new Date())
  } catch (err) {
    const problem = (err as Error).message.split('\n')[0]!
    ws.warnOnce(`notify.command (${config.command[0]}) failed on the ${event.kind} event: ${problem}`)
    return {sent: false, problem}
  }
}

async function runNotifier(ws: Workspace, config: NotifyConfig, event: RigorEvent, now: Date): Promise<NotifyOutcome> {
  const payload: EventPayload = {
    version: 1,
    ...event,
    at: now.toISOString(),
    workspace: ws.root,
    branch: ws.stateRef.replace(/^refs\/heads\//, ''),
    commit: (await ws.readTip()) ?? null,
  }
  // what the notifier leaves running is stopped when it exits (configured-command.ts)
  const result = await runConfiguredCommand({
    argv: config.command,
    input: notifyMessage(event),
    env: {RIGOR_EVENT: JSON.stringify(payload)},
    cwd: ws.root,
    timeoutMs: config.timeout,
    maxBytes: 1024 * 1024,
  })
  if (result.exitCode === 0 && !result.timedOut) return {sent: true}
  const lastLine = result.stderr.trim().split('\n').pop()
  const problem = result.timedOut
    ? `timed out after ${config.timeout / 1000}s`
    : result.spawnError
      ? `could not start: ${result.spawnError}`
      : result.exitCode !== null
        ? `exited with code ${result.exitCode}${lastLine ? `: ${lastLine}` : ''}`
        : `was killed by ${result.signal}`
  ws.warnOnce(
    `notify.command (${config.command[0]}) failed on the ${event.kind} event: ${problem}; fix notify: in rigor.yaml (docs/observability.md)`,
  )
  return {sent: false, problem}
}

/** Tells notify.command about an audit that came out FAIL; a PASS tells nothing. */
export async function notifyAudit(ws: Workspace, outcome: Pick<AuditOutcome, 'front' | 'path'>): Promise<NotifyOutcome | undefined> {
  if (outcome.front.verdict !== 'FAIL') return undefined
  const failed = outcome.front.checks.filter((c) => c.result === 'fail').map((c) => c.name)
  return notify(ws, {
    kind: 'audit_fail',
    node: outcome.front.covers.node,
    auditor: outcome.front.auditor,
    file: outcome.path,
    failed_checks: failed,
  })
}

/** The message on the notifier's stdin: one line a person can act on, then the details. */
export function notifyMessage(event: RigorEvent): string {
  switch (event.kind) {
    case 'health':
      return `rigor health: ${event.crossed.length} threshold(s) crossed: ${event.crossed.map(describeCheck).join('; ')}\n`
    case 'audit_fail':
      return `rigor audit: FAIL for ${event.node} by ${event.auditor} (${event.file})${event.failed_checks.length ? `; failed checks: ${event.failed_checks.join(', ')}` : ''}\n`
    case 'deploy':
      return event.action === 'deploy'
        ? `rigor deploy: ${event.node} deployed to ${event.stage} by ${event.by} (${event.file})\n`
        : `rigor deploy: ${event.node} rolled back on ${event.stage} by ${event.by} (${event.file})\n`
    case 'cycle_step_failed':
      return `rigor cycle ${event.cycle}: the ${event.step} step failed: ${event.error}\n`
  }
}

export function describeCheck(check: HealthCheck): string {
  const value = check.value === null ? 'n/a' : formatNumber(check.value)
  if (check.threshold === null) return `${check.name} ${value} (no threshold)`
  const relation = check.ok ? (check.bound === 'min' ? '>=' : '<=') : check.bound === 'min' ? '<' : '>'
  return `${check.name} ${value} ${relation} ${formatNumber(check.threshold)}`
}

// 0.9996 is 1, not "1.": the point goes with the zeros after it
const formatNumber = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/\.?0+$/, ''))
