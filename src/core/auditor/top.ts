import type {CommitSigner} from '../git/signing.js'
import type {Workspace} from '../state/workspace.js'
import type {Telemetry} from '../telemetry/telemetry.js'
import {auditNode, type AuditOptions, type AuditOutcome} from './index.js'
import {readNodeAudits} from './reports.js'
import {wroteReturns} from './stats.js'

export interface TopAudit {
  id: string
  verdict: 'PASS' | 'FAIL'
  file: string
  /** the sealed holdout's one-line result, when one is configured */
  holdout?: string
}

/**
 * Audits the best accepted nodes by Sharpe that have no audit yet (and wrote
 * returns.csv): the first `count`, or with `untilPass` as many of the first
 * `count` as it takes to find one that passes. The cycle and the demo use it.
 */
export async function auditTopCandidates(
  ws: Workspace,
  opts: {
    count: number
    auditor: string
    signer?: CommitSigner
    untilPass?: boolean
    telemetry?: Telemetry
    /** told of each audit as it is committed (the cycle notifies a FAIL) */
    onAudited?: (outcome: AuditOutcome) => Promise<unknown>
  } & Pick<AuditOptions, 'signal' | 'groups'>,
): Promise<TopAudit[]> {
  const snap = await ws.currentSnapshot()
  const candidates: Array<{id: string; sharpe: number}> = []
  for (const record of snap.nodes.values()) {
    if (record.node?.status !== 'proven_accepted' || record.node.sweep || record.node.archived) continue
    const verdict = await ws.store.verdict(record)
    // only a runner that leaves its out-of-sample returns can be audited
    if (!verdict || !wroteReturns(verdict)) continue
    candidates.push({id: record.id, sharpe: verdict.metrics.sharpe ?? -Infinity})
  }
  candidates.sort((a, b) => b.sharpe - a.sharpe)
  const audited: TopAudit[] = []
  for (const {id} of candidates.slice(0, opts.count)) {
    if ((await readNodeAudits(ws.repo, snap.tree, id)).audits.length > 0) continue
    const outcome = await auditNode(ws, id, {
      auditor: opts.auditor,
      signer: opts.signer,
      telemetry: opts.telemetry,
      signal: opts.signal,
      groups: opts.groups,
    })
    await opts.onAudited?.(outcome)
    audited.push({id, verdict: outcome.front.verdict, file: outcome.path, holdout: outcome.front.holdout?.summary})
    if (opts.untilPass && outcome.front.verdict === 'PASS') break
  }
  return audited
}
