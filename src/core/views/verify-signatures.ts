import {auditorTrust, checkedFileSignature, type FileSignatureStatus, type TrustLink, type UnsignedSection} from '../state/auditors.js'
import {pathsEverUnder} from '../state/file-changes.js'
import type {Workspace} from '../state/workspace.js'

export interface SignedFile {
  file: string
  /** paper_results: deployments/paper/<id>.results.yaml, which `rigor deploy --stage live` reads only as signed */
  kind: 'audit' | 'deployment' | 'paper_results'
  status: FileSignatureStatus | 'not_checked'
  signer?: string
  commit?: string
  detail: string
  /** whether this file makes `rigor verify --signatures` fail */
  failed: boolean
}

export interface SignatureReport {
  ok: boolean
  /** the auditors in force at the tip */
  auditors: string[]
  /** how the list came to be: chain[0] is where trust starts (first list, trusted on first use) */
  chain: TrustLink[]
  /** audit:, holdout: or deploy: of rigor.yaml as changed by a commit no listed auditor signed */
  unsigned_sections: UnsignedSection[]
  files: SignedFile[]
  commit: string | null
}

/**
 * Every audit, deployment record and paper results file with who signed it,
 * checked against the auditors in force. With auditors configured, an audit
 * fails unless its last change is signed by the listed auditor it names; a
 * deployment or paper results file fails when it carries a signature that is
 * bad or was changed after signing (deployers sign when they have a key; an
 * unsigned one is listed, not failed, though live reads paper records only signed).
 */
export async function verifySignatures(ws: Workspace): Promise<SignatureReport> {
  const tip = await ws.readTip()
  const trust = await auditorTrust(ws.repo, tip)
  const report: SignatureReport = {
    ok: true,
    auditors: trust.auditors.map((a) => a.name),
    chain: trust.chain,
    unsigned_sections: trust.unsigned_sections,
    files: [],
    commit: tip ?? null,
  }
  if (!tip) return report
  // every report the branch's line ever had: one signed and then removed without a signature fails as one edited does
  // a report and the record beside it (whose checksum the report holds): an edited record makes a FAIL unusable
  const isAudit = (path: string) => path.endsWith('.md') || path.endsWith('.json')
  const isResults = (path: string) => path.startsWith('deployments/paper/') && path.endsWith('.results.yaml')
  const isDeployment = (path: string) => path.endsWith('.yaml') && !path.endsWith('.results.yaml')
  const audits = (await pathsEverUnder(ws.repo, tip, 'audits')).filter(isAudit)
  const deploymentFiles = await pathsEverUnder(ws.repo, tip, 'deployments')
  for (const [kind, files] of [
    ['audit', audits],
    ['deployment', deploymentFiles.filter(isDeployment)],
    ['paper_results', deploymentFiles.filter(isResults)],
  ] as const) {
    for (const path of files) {
      const present = (await ws.repo.readFileAt(tip, path)) !== undefined
      if (trust.auditors.length === 0) {
        if (present)
          report.files.push({
            file: path,
            kind,
            status: 'not_checked',
            detail: 'no auditors: in rigor.yaml, so no key to check against',
            failed: false,
          })
        continue
      }
      const auditor = kind === 'audit' && present ? await auditorOf(ws, tip, path) : undefined
      // an audit is its auditor's: another auditor's signature neither changes nor retracts it
      const signature = await checkedFileSignature(ws.repo, tip, path, trust.auditors, {expectedSigner: auditor, owned: kind === 'audit'})
      // a removed file is listed only when a signed version was removed
      if (!present && signature.status === 'unsigned') continue
      const failed =
        signature.status === 'removed_after_signing' ||
        (kind === 'audit'
          ? present && signature.status !== 'good'
          : signature.status === 'bad' || signature.status === 'changed_after_signing')
      report.files.push({
        file: path,
        kind,
        status: signature.status,
        signer: signature.signer,
        commit: signature.commit,
        detail: signature.detail,
        failed,
      })
    }
  }
  report.ok =
    report.files.every((f) => !f.failed) && !trust.chain.some((l) => l.change === 'ignored') && trust.unsigned_sections.length === 0
  return report
}

/** The auditor an audit report names in its front matter (without trusting the rest of it); for a record, its report's. */
async function auditorOf(ws: Workspace, tip: string, path: string): Promise<string | undefined> {
  const report = path.endsWith('.json') ? path.replace(/\.json$/, '.md') : path
  const text = (await ws.repo.readFileAt(tip, report))?.toString('utf8') ?? ''
  return /^auditor: *"?([^"\n]+)"?$/m.exec(text.split('\n---')[0] ?? '')?.[1]?.trim()
}
