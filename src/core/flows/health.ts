import {utcDay} from '../dag/budget.js'
import {healthCheck, type AuditStats} from '../dag/supervise.js'
import type {Workspace} from '../state/workspace.js'
import {readActivityLog} from '../views/log.js'
import {activityOf, HEALTH_FORMULA, healthScore} from '../views/report.js'
import {notify, type HealthCheck, type NotifyOutcome} from './notify.js'

export interface HealthResult {
  ok: boolean
  checks: HealthCheck[]
  /** how `score` is computed (the daily report's formula, for today UTC) */
  score_formula: string
  commit: string | null
  /** what notify.command made of the crossed thresholds (absent when none was crossed) */
  notified?: NotifyOutcome
}

/** What to do when a check's threshold is crossed (rigor health prints it under the table). */
export const HEALTH_FIXES: Record<HealthCheck['name'], string> = {
  score:
    'rigor report says what lowers the score today: inconclusive runs (rigor log --action verdict), failed audits, the audit backlog and stuck leases',
  audit_backlog: 'audit the accepted nodes: rigor audit <id> --auditor <name>, or let rigor cycle audit the best of them',
  failed_audit_rate: 'read the failed audits (rigor show <id>, or the audits page of rigor site), fix what they found, and audit again',
  stuck_leases: 'take the expired leases back: rigor supervise --once (or keep a rigor supervise running)',
}

/**
 * The health checks against `health:` of rigor.yaml (read from the branch
 * tip): the health score of today (UTC), the audit backlog, the failed-audit
 * rate and the stuck leases. A check without a threshold is reported and never
 * fails; a value that is not there (no audit yet: no failed-audit rate) passes.
 */
export async function evaluateHealth(ws: Workspace, opts: {auditStats: AuditStats; now?: Date}): Promise<Omit<HealthResult, 'notified'>> {
  const now = opts.now ?? new Date()
  const commit = (await ws.readTip()) ?? null
  const health = await healthCheck(ws, opts.auditStats, now)
  const score = healthScore(activityOf(await readActivityLog(ws), utcDay(now)), health)
  const thresholds = ws.config.health ?? {}
  const check = (
    name: HealthCheck['name'],
    value: number | null,
    threshold: number | undefined,
    bound: HealthCheck['bound'],
  ): HealthCheck => ({
    name,
    value,
    threshold: threshold ?? null,
    bound,
    ok: threshold === undefined || value === null || (bound === 'min' ? value >= threshold : value <= threshold),
  })
  const checks = [
    check('score', score, thresholds.min_score, 'min'),
    check('audit_backlog', health.audit_backlog, thresholds.max_audit_backlog, 'max'),
    check('failed_audit_rate', health.failed_audit_rate, thresholds.max_failed_audit_rate, 'max'),
    check('stuck_leases', health.stuck.length, thresholds.max_stuck_leases, 'max'),
  ]
  return {ok: checks.every((c) => c.ok), checks, score_formula: HEALTH_FORMULA, commit}
}

/** `rigor health`: the checks, and notify.command told about the crossed ones. */
export async function checkHealth(ws: Workspace, opts: {auditStats: AuditStats; now?: Date}): Promise<HealthResult> {
  const result = await evaluateHealth(ws, opts)
  if (result.ok) return result
  return {...result, notified: await notify(ws, {kind: 'health', crossed: result.checks.filter((c) => !c.ok)}, {now: opts.now})}
}
