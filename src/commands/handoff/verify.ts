import {Args} from '@oclif/core'
import {RigorCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {verifyHandoffs} from '../../core/handoff.js'

export default class HandoffVerify extends RigorCommand {
  static override summary = 'Check every handoff (of a task) and name every artifact whose checksum no longer matches; exit 1 if any.'
  static override examples = ['<%= config.bin %> handoff verify', '<%= config.bin %> handoff verify data-prep']
  static override args = {task: Args.string({description: 'only this task'})}

  async run() {
    const {args, flags} = await this.parse(HandoffVerify)
    const result = await withWorkspace(flags.cwd, (ws) => verifyHandoffs(ws, args.task))
    for (const p of result.problems) this.say(`${p.file}${p.artifact ? `: ${p.artifact}` : ''}: ${p.problem}${p.actual ? ` (expected ${p.expected}, actual ${p.actual})` : ''}`)
    this.say(result.problems.length ? `${result.problems.length} problem(s) in ${result.checked} handoff(s)` : `ok: ${result.checked} handoff(s) verified`)
    if (result.problems.length) process.exitCode = 1
    return {ok: result.problems.length === 0, ...result}
  }
}
