import type {NodeFile, VerdictFile} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {readNodeAudits} from './reports.js'

export interface AuditTally {
  backlog: number
  failedRate: number | null
}

const RETURNS = 'out/returns.csv'

/**
 * Whether a run left the returns rigor audit judges: out/returns.csv among the
 * outputs its verdict recorded, committed or kept in the artifact store. A
 * pipeline stage that writes none (a training step, a summary) cannot be audited.
 */
export const wroteReturns = (verdict: Pick<VerdictFile, 'artifacts' | 'stored'>): boolean =>
  Object.hasOwn(verdict.artifacts, RETURNS) || (verdict.stored ?? []).some((s) => s.path === RETURNS)

/**
 * The nodes the auditor owes a word on, the one rule of the audit backlog:
 * accepted, not a sweep group (which is never run), not archived (ranked out:
 * no longer a candidate, and the cycle's audit step never takes one), and
 * auditable (wroteReturns).
 */
export const owedAudit = (
  node: Pick<NodeFile, 'status' | 'sweep' | 'archived'>,
  verdict: Pick<VerdictFile, 'artifacts' | 'stored'> | undefined,
): boolean => node.status === 'proven_accepted' && !node.sweep && !node.archived && verdict !== undefined && wroteReturns(verdict)

/**
 * The backlog (owed nodes with no audit yet) and the share of audited ones
 * whose newest audit is a FAIL, from each owed node's newest verdict.
 */
export function tallyAudits(newest: Iterable<'PASS' | 'FAIL' | undefined>): AuditTally {
  let backlog = 0
  let audited = 0
  let failed = 0
  for (const verdict of newest) {
    if (verdict === undefined) backlog++
    else {
      audited++
      if (verdict === 'FAIL') failed++
    }
  }
  return {backlog, failedRate: audited ? failed / audited : null}
}

/** What health reports of the auditor, at the state's tip (see tallyAudits). */
export async function auditStats(ws: Workspace): Promise<AuditTally> {
  const snap = await ws.currentSnapshot()
  const newest: Array<'PASS' | 'FAIL' | undefined> = []
  for (const record of snap.nodes.values()) {
    const node = record.node
    // only an accepted node's verdict is worth reading; one that cannot be read is health's corrupt count, not the auditor's
    if (node?.status !== 'proven_accepted') continue
    const verdict = await ws.store.verdict(record).catch(() => undefined)
    if (!owedAudit(node, verdict)) continue
    // newest first: the latest word on the node
    newest.push((await readNodeAudits(ws.repo, snap.tree, record.id)).audits[0]?.front.verdict)
  }
  return tallyAudits(newest)
}
