import type {NodeFile} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {readNodeAudits} from './reports.js'

export interface AuditTally {
  backlog: number
  failedRate: number | null
}

/** The nodes the auditor owes a word on: accepted, and not a sweep group (which is never run). */
export const owedAudit = (node: Pick<NodeFile, 'status' | 'sweep'>): boolean => node.status === 'proven_accepted' && !node.sweep

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
    if (!record.node || !owedAudit(record.node)) continue
    // newest first: the latest word on the node
    newest.push((await readNodeAudits(ws.repo, snap.tree, record.id)).audits[0]?.front.verdict)
  }
  return tallyAudits(newest)
}
