import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {listHandoffs, type HandoffListing} from '../../core/flows/handoff.js'
import {controlsEscaped, linesEscaped} from '../../core/validation.js'

export default class HandoffList extends WorkspaceCommand {
  static override summary = 'List the handoffs, oldest first per task.'
  static override examples = ['<%= config.bin %> handoff list', '<%= config.bin %> handoff list --task data-prep --json']
  static override flags = {task: Flags.string({description: 'only this task'})}

  async run(): Promise<{handoffs: HandoffListing[]}> {
    const {flags} = await this.parse(HandoffList)
    const handoffs = await withWorkspace(flags, (ws) => listHandoffs(ws, flags.task))
    // one line per handoff: a message from a committed file (anyone's) may hold line breaks and terminal escapes
    for (const h of handoffs) {
      if (h.task === undefined) this.say(linesEscaped(`${h.file}: ${h.problem}`))
      else
        this.say(
          `${h.created_at}  ${h.task} #${h.number}  ${h.from} -> ${h.to}  ${controlsEscaped(Object.keys(h.artifacts ?? {}).join(', '))}${h.message ? `  "${controlsEscaped(h.message)}"` : ''}${h.problem ? `  (${controlsEscaped(h.problem)})` : ''}`,
        )
    }
    if (handoffs.length === 0) this.say('no handoffs')
    return {handoffs}
  }
}
