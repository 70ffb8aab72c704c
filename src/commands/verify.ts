import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withWorkspace, type WorkspaceFlags} from '../cli/workspace.js'
import {verifySignatures, type SignatureReport} from '../core/views/verify-signatures.js'
import {handChangesFix} from '../core/state/hand-changes.js'
import {unsignedSectionsFix} from '../core/state/auditors.js'
import {verifyWorkspace, type VerifyReport} from '../core/views/verify.js'
import {describeGitDirCleanup} from '../core/state/scratch-dirs.js'
import {linesEscaped} from '../core/validation.js'

export default class Verify extends WorkspaceCommand {
  static override summary = 'Check the checksum of every state file and every artifact; exit 1 if any is corrupt.'
  static override description =
    `Also mends index entries of this checkout left behind the state branch, and fails on state files a commit rigor did not make changed (a plain commit over a stale index reverts verdicts), saying how to put rigor's versions back.
--signatures lists every audit, deployment and paper results file with its signer and result (good, unsigned, unknown key, changed after signing), checked against auditors: in rigor.yaml, and shows where the auditor list's chain of trust starts; exit 1 when an audit is not signed by the listed auditor it names, a signature is bad, or a change to auditors:, audit:, holdout: or deploy: was not signed by an auditor.`
  static override examples = ['<%= config.bin %> verify', '<%= config.bin %> verify --json', '<%= config.bin %> verify --signatures']
  static override flags = {signatures: Flags.boolean({description: 'check who signed each audit, deployment and paper results file'})}

  async run(): Promise<VerifyReport | SignatureReport> {
    const {flags} = await this.parse(Verify)
    if (flags.signatures) return this.signatures(flags)
    const report = await withWorkspace(flags, (ws) => verifyWorkspace(ws), {handChanges: false})
    // paths and messages quote what is on the branch (a file's name, its bad lines): anyone's commit may put escape sequences there
    const say = (line: string) => this.say(linesEscaped(line))
    if (report.index?.behind.length) {
      say(
        `the index of this checkout was behind the state branch on ${report.index.behind.length} path(s): ${report.index.repaired} brought up to date`,
      )
      for (const kept of report.index.kept) say(`  kept: ${kept}`)
    }
    for (const line of describeGitDirCleanup(report)) say(line)
    for (const p of report.problems) say(`${p.kind.toUpperCase()} ${p.file} (${p.where}): ${p.message}`)
    for (const s of report.stale)
      say(`STALE ${s.id}: ${s.why} (its verdict stands for the older inputs; \`rigor rerun ${s.id}\` runs it on the new ones)`)
    for (const h of report.hand_changes)
      say(
        `CHANGED OUTSIDE RIGOR ${h.path}: ${h.change} by ${h.commit.slice(0, 10)}, a commit rigor did not make${h.rigor_commit ? ` (rigor's version: ${h.rigor_commit.slice(0, 10)})` : ''}`,
      )
    say(
      report.ok
        ? `ok: ${report.checked} file(s) verified`
        : `${report.problems.length + report.hand_changes.length} problem(s) in ${report.checked} file(s)`,
    )
    // `git checkout -- <file>` mends an uncommitted edit only; a committed one needs the commit rigor's version is in
    const handChanged = new Set(report.hand_changes.map((h) => h.path))
    if (report.problems.some((p) => p.where === 'working tree'))
      say('Fix: a state file edited and not committed: git checkout -- <file>; never edit state files by hand')
    if (report.problems.some((p) => p.where === 'committed' && !handChanged.has(p.file)))
      say('Fix: a committed state file: put back what rigor wrote from an earlier commit (git log -- <file>), then commit')
    if (report.hand_changes.length) say(`Fix: ${handChangesFix(report.hand_changes)}`)
    if (!report.ok) process.exitCode = 1
    return report
  }

  private async signatures(flags: WorkspaceFlags): Promise<SignatureReport> {
    const report = await withWorkspace(flags, (ws) => verifySignatures(ws))
    // file names and what ssh-keygen said about them: escaped as the problems above are
    const say = (line: string) => this.say(linesEscaped(line))
    if (report.chain.length === 0) say('auditors: none configured in rigor.yaml; audits are unauthenticated')
    for (const link of report.chain) {
      const what =
        link.change === 'first'
          ? 'chain starts (trusted on first use)'
          : link.change === 'signed'
            ? `changed, signed by ${link.signer}`
            : `change IGNORED: ${link.why}`
      say(`auditors ${link.commit.slice(0, 10)} [${link.names.join(', ')}]: ${what}`)
    }
    for (const u of report.unsigned_sections)
      say(`FAIL rigor.yaml  ${u.section}: changed in ${u.commit.slice(0, 10)}, ${u.why}: not in force for audits and deploys`)
    for (const f of report.files)
      say(
        `${f.failed ? 'FAIL' : 'ok  '} ${f.kind.padEnd(10)} ${f.file}: ${f.status.replace(/_/g, ' ')}${f.signer ? ` (${f.signer})` : ''}${f.status !== 'good' ? ` - ${f.detail}` : ''}`,
      )
    const failed = report.files.filter((f) => f.failed).length
    // without auditors: nothing is checked, and "19 signed file(s) checked" said the opposite
    const unchecked = report.files.filter((f) => f.status === 'not_checked').length
    say(
      report.ok
        ? `ok: ${report.files.length - unchecked} signed file(s) checked${unchecked ? `, ${unchecked} not checked (no auditors: in rigor.yaml)` : ''}`
        : `${failed} file(s) failed the signature check${report.chain.some((l) => l.change === 'ignored') ? '; an unsigned change to auditors: was ignored' : ''}${report.unsigned_sections.length ? `; ${report.unsigned_sections.length} section(s) of rigor.yaml changed without a listed auditor's signature` : ''}`,
    )
    const fix = unsignedSectionsFix(report.unsigned_sections)
    if (fix) say(`Fix: ${fix}`)
    if (!report.ok) process.exitCode = 1
    return report
  }
}
