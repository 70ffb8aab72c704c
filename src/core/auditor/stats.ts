import type {Workspace} from '../state/workspace.js'
import {readNodeAudits} from './reports.js'

/**
 * What health reports of the auditor: accepted nodes with no audit yet (the
 * backlog), and the share of audited ones whose newest audit is a FAIL.
 */
export async function auditStats(ws: Workspace): Promise<{backlog: number; failedRate: number | null}> {
  const snap = await ws.currentSnapshot()
  let backlog = 0
  let audited = 0
  let failed = 0
  for (const record of snap.nodes.values()) {
    if (record.node?.status !== 'proven_accepted' || record.node.sweep) continue
    const {audits} = await readNodeAudits(ws.repo, snap.tree, record.id)
    if (audits.length === 0) backlog++
    else {
      audited++
      // newest first: the latest word on the node
      if (audits[0]!.front.verdict === 'FAIL') failed++
    }
  }
  return {backlog, failedRate: audited ? failed / audited : null}
}
