import type {FileChange} from '../git/tree-edit.js'
import {cleanLeftoverRuns, runsDirectory, type LeftoverReport} from './run-records.js'
import {nowIso, verdictChange} from '../state/node-files.js'
import {blockDependents} from './scheduler.js'
import type {NodeFile} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {transition} from './lifecycle.js'

export interface SuperviseResult {
  requeued: string[]
  expired: string[]
  blocked: string[]
  commit?: string
}

/**
 * Takes back nodes whose lease expired (their worker died or lost the
 * network): back to pending while attempts remain, then inconclusive with the
 * reason. Also blocks pending nodes whose requirements can no longer be met.
 * One commit; a worker that comes back later finds the node no longer its own.
 */
export function requeueExpiredLeases(ws: Workspace, opts: {by: string; now?: Date}): Promise<SuperviseResult> {
  const now = opts.now ?? new Date()
  // judged when the snapshot is read, not when the command started: with --remote the fetch comes between, and a
  // renewal that landed meanwhile must not be weighed against the earlier clock (nor an expiry after it missed)
  const lapse = (node: NodeFile) => leaseLapse(node, opts.now ?? new Date(), ws.config.lease.duration)
  return takeBack(ws, {
    by: opts.by,
    now,
    which: (node) => lapse(node) !== undefined,
    why: (node) =>
      lapse(node) === 'too far ahead'
        ? `lease of ${node.worker} ends at ${node.lease_until}, further ahead than lease.duration grants: taken for expired (a clock ahead, or a hand-written lease) (attempt ${node.attempt})`
        : `lease of ${node.worker} expired at ${node.lease_until} (attempt ${node.attempt})`,
    whyLast: (node, max) =>
      lapse(node) === 'too far ahead'
        ? `lease ending at ${node.lease_until}, further ahead than lease.duration grants, taken for expired on attempt ${node.attempt} of ${max}`
        : `lease expired on attempt ${node.attempt} of ${max}`,
    subject: (r) => `supervise: ${r.requeued.length} re-queued, ${r.expired.length} expired, ${r.blocked.length} blocked`,
  })
}

/**
 * Takes back at once, as `requeueExpiredLeases` does when their lease expires, the nodes `worker` still holds: a
 * worker restarted under the same name (a requeued Slurm task) whose earlier run was killed, which no process of this
 * name runs any more. The attempt counts: an earlier run that is somehow still alive finds the node no longer its own
 * (a new claim has the next attempt), and stops it without a verdict. First, as `rigor supervise` does, what the runs
 * of dead workers on this machine left running is killed: an unsandboxed runner outlives its SIGKILLed worker, and
 * would otherwise run on beside the node's next run.
 */
export async function takeBackEarlierRun(ws: Workspace, worker: string): Promise<SuperviseResult & {runs: LeftoverReport}> {
  const runs = await cleanLeftovers(ws)
  const taken = await takeBack(ws, {
    by: worker,
    now: new Date(),
    which: (node) => node.worker === worker,
    why: (node) => `an earlier run of ${worker} was killed holding it (attempt ${node.attempt})`,
    whyLast: (node, max) => `an earlier run of ${worker} was killed holding it on attempt ${node.attempt} of ${max}`,
    subject: (r) => `take back ${r.requeued.length + r.expired.length} node(s) an earlier run of ${worker} held`,
  })
  return {...taken, runs}
}

/** Running nodes `which` picks back to pending while attempts remain, else inconclusive; one commit. */
async function takeBack(
  ws: Workspace,
  opts: {
    by: string
    now: Date
    which: (node: NodeFile) => boolean
    /** the reason a node goes back to pending, and one on its last attempt ends inconclusive */
    why: (node: NodeFile) => string
    whyLast: (node: NodeFile, maxAttempts: number) => string
    subject: (r: SuperviseResult) => string
  },
): Promise<SuperviseResult> {
  const now = opts.now
  const outcome = await ws.commit<SuperviseResult>(async (snap) => {
    const files = new Map<string, FileChange>()
    const overrides = new Map<string, NodeFile>()
    const result: SuperviseResult = {requeued: [], expired: [], blocked: []}
    for (const record of snap.nodes.values()) {
      const node = record.node
      if (node?.status !== 'running' || !opts.which(node)) continue
      if (node.attempt < ws.config.lease.max_attempts) {
        const [path, text, updated] = transition(node, {kind: 'requeue', reason: opts.why(node)})
        files.set(path, text)
        overrides.set(node.id, updated)
        result.requeued.push(node.id)
      } else {
        const reason = opts.whyLast(node, ws.config.lease.max_attempts)
        const [path, text, updated] = transition(node, {kind: 'expire', reason})
        files.set(path, text)
        overrides.set(node.id, updated)
        const [vPath, vText] = verdictChange({
          node: node.id,
          status: 'inconclusive',
          decided_by: 'failure',
          reason,
          worker: node.worker ?? 'unknown',
          attempt: Math.max(1, node.attempt),
          started_at: node.started_at ?? nowIso(now),
          finished_at: nowIso(now),
          duration_s: node.started_at ? Math.max(0, (now.getTime() - Date.parse(node.started_at)) / 1000) : 0,
        })
        files.set(vPath, vText)
        result.expired.push(node.id)
      }
    }
    result.blocked.push(...blockDependents(snap, overrides, files))
    if (files.size === 0) return {result}
    return {
      files,
      message: {
        action: 'requeue',
        subject: opts.subject(result),
        nodes: [...result.requeued, ...result.expired, ...result.blocked],
        worker: opts.by,
      },
      result,
    }
  })
  return {...outcome.result, commit: outcome.commit}
}

/** Kills what runs of dead workers on this machine left running and removes their run directories (see run-records.ts). */
export function cleanLeftovers(ws: Workspace): Promise<LeftoverReport> {
  return cleanLeftoverRuns(runsDirectory(ws.repo.paths.commonDir))
}

export interface HealthReport {
  stuck: Array<{id: string; worker?: string; lease_until?: string}>
  corrupt: Array<{file: string; message: string}>
  audit_backlog: number
  failed_audit_rate: number | null
  running: number
  pending: number
}

/** The auditor's backlog and failure rate: passed in by the caller (see flows/policies.ts), so health never reports 0 by accident. */
export type AuditStats = (ws: Workspace) => Promise<{backlog: number; failedRate: number | null}>

/**
 * How much later than now + lease.duration a lease may end before it is taken for expired: the clocks of the machines
 * sharing a remote differ by this much at most.
 */
export const LEASE_CLOCK_SKEW_MS = 5 * 60_000

/**
 * Whether a lease no longer holds its node: `expired` when it has passed; `too far ahead` when it ends later than any
 * renewal grants (now + `leaseMs` + LEASE_CLOCK_SKEW_MS), written by a clock far ahead or by hand (a node file with a
 * valid checksum and a lease years ahead held its node forever). Undefined while it holds.
 */
export function leaseLapse(node: Pick<NodeFile, 'lease_until'>, now: Date, leaseMs: number): 'expired' | 'too far ahead' | undefined {
  if (node.lease_until === undefined) return undefined
  const until = Date.parse(node.lease_until)
  if (until <= now.getTime()) return 'expired'
  if (until > now.getTime() + leaseMs + LEASE_CLOCK_SKEW_MS) return 'too far ahead'
  return undefined
}

/** A running node whose lease has lapsed (leaseLapse): its worker is gone or cut off, and the next `rigor supervise` takes it back. */
export const leaseStuck = (node: Pick<NodeFile, 'status' | 'lease_until'>, now: Date, leaseMs: number): boolean =>
  node.status === 'running' && leaseLapse(node, now, leaseMs) !== undefined

export async function healthCheck(ws: Workspace, auditStats: AuditStats, now = new Date()): Promise<HealthReport> {
  const snap = await ws.currentSnapshot()
  const report: HealthReport = {stuck: [], corrupt: [], audit_backlog: 0, failed_audit_rate: null, running: 0, pending: 0}
  for (const record of snap.nodes.values()) {
    if (record.problem) {
      report.corrupt.push({
        file: record.problem.file,
        message: record.problem.kind === 'corrupt' ? 'checksum mismatch' : record.problem.message,
      })
      continue
    }
    const node = record.node!
    if (node.status === 'running') {
      report.running++
      if (leaseStuck(node, now, ws.config.lease.duration))
        report.stuck.push({id: node.id, worker: node.worker, lease_until: node.lease_until})
    } else if (node.status === 'pending' && !node.sweep) report.pending++
  }
  const stats = await auditStats(ws)
  report.audit_backlog = stats.backlog
  report.failed_audit_rate = stats.failedRate
  return report
}
