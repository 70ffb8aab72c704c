import {RigorCommand} from '../cli/base.js'
import {withWorkspace} from '../cli/workspace.js'
import {verifyWorkspace, type VerifyReport} from '../core/verify.js'

export default class Verify extends RigorCommand {
  static override summary = 'Check the checksum of every state file; exit 1 if any is corrupt.'
  static override examples = ['<%= config.bin %> verify', '<%= config.bin %> verify --json']

  async run(): Promise<VerifyReport> {
    const {flags} = await this.parse(Verify)
    const report = await withWorkspace(flags.cwd, (ws) => verifyWorkspace(ws))
    if (report.removed_temp_objects.length) this.say(`removed ${report.removed_temp_objects.length} stale temporary object file(s) from .git/objects`)
    for (const p of report.problems) this.say(`${p.kind.toUpperCase()} ${p.file} (${p.where}): ${p.message}`)
    this.say(report.ok ? `ok: ${report.checked} file(s) verified` : `${report.problems.length} problem(s) in ${report.checked} file(s)`)
    if (!report.ok) {
      this.say('Fix: restore each file from git (`git checkout -- <file>`) or recreate it with rigor; never edit state files by hand')
      process.exitCode = 1
    }
    return report
  }
}
