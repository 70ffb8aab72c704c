import {Args} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {verifyHandoffs, type HandoffVerifyReport} from '../../core/flows/handoff.js'
import {linesEscaped} from '../../core/validation.js'

export default class HandoffVerify extends WorkspaceCommand {
  static override summary =
    "Recompute every handed-over artifact's checksum and check each handoff file's own; exit 1 naming every mismatch."
  static override examples = ['<%= config.bin %> handoff verify', '<%= config.bin %> handoff verify data-prep --json']
  static override args = {task: Args.string({description: 'only this task'})}

  async run(): Promise<HandoffVerifyReport> {
    const {args, flags} = await this.parse(HandoffVerify)
    const report = await withWorkspace(flags, (ws) => verifyHandoffs(ws, args.task))
    // a handoff file's name and what is wrong with it are anyone's commit: escaped as handoff list escapes them
    for (const p of report.problems) this.say(linesEscaped(`${p.file}${p.where === 'working tree' ? ' (working tree)' : ''}: ${p.message}`))
    this.say(
      report.ok
        ? `ok: ${report.handoffs} handoff(s), ${report.artifacts} artifact(s) verified`
        : `${report.problems.length} problem(s) in ${report.handoffs} handoff(s)`,
    )
    if (!report.ok) process.exitCode = 1
    return report
  }
}
