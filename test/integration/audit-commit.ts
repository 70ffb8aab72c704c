import {renderMarkdownDocument} from '../../src/core/state/documents.js'
import {Workspace} from '../../src/core/state/workspace.js'

export interface AuditToCommit {
  id: string
  verdict: 'PASS' | 'FAIL'
  auditor: string
  at?: Date
  /** what the audit covers: the node's verdict's artifacts (what the deploy gate compares), or none */
  covers?: 'verdict' | 'nothing'
  checks?: unknown[]
  issues?: unknown[]
  /** the report's path (default audits/<id>/<day>-<auditor>.md) */
  file?: string
  /** an SSH private key the commit is signed with (none: unsigned) */
  signingKey?: string
  /** the holdout result the report carries (none: no holdout) */
  holdout?: {summary: string; passed?: boolean}
}

/**
 * An audit report committed the way the auditor commits one, without running
 * its checks: for tests about what reads audits (the deploy gate, counts,
 * `--json`), not about auditing. Returns the report's path.
 */
export async function commitAuditReport(dir: string, a: AuditToCommit): Promise<string> {
  const ws = await Workspace.open(dir)
  try {
    const outcome = await ws.commit(
      async (snap) => {
        const at = a.at ?? new Date()
        const artifacts = a.covers === 'nothing' ? {} : (await ws.store.verdict(snap.nodes.get(a.id)!))!.artifacts
        const file = a.file ?? `audits/${a.id}/${at.toISOString().slice(0, 10)}-${a.auditor}.md`
        const front = {
          verdict: a.verdict,
          auditor: a.auditor,
          audited_at: at.toISOString(),
          covers: {node: a.id, commit: snap.commit, artifacts},
          checks: a.checks ?? [],
          issues: a.issues ?? [],
          ...(a.holdout ? {holdout: a.holdout} : {}),
        }
        return {
          files: new Map([[file, renderMarkdownDocument(front, `# Audit of ${a.id}\n`)]]),
          message: {action: 'audit', subject: `audit ${a.id}`, nodes: [a.id], worker: a.auditor},
          result: file,
        }
      },
      {signer: a.signingKey ? {keyPath: a.signingKey} : undefined},
    )
    return outcome.result
  } finally {
    await ws.close()
  }
}
