import {Flags} from '@oclif/core'
import {RigorCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {listHandoffs} from '../../core/handoff.js'

export default class HandoffList extends RigorCommand {
  static override summary = 'List the handoffs (of a task).'
  static override examples = ['<%= config.bin %> handoff list', '<%= config.bin %> handoff list --task data-prep --json']
  static override flags = {task: Flags.string({description: 'only this task'})}

  async run() {
    const {flags} = await this.parse(HandoffList)
    const handoffs = await withWorkspace(flags.cwd, (ws) => listHandoffs(ws, flags.task))
    for (const h of handoffs) this.say(`${h.created_at}  ${h.task} #${h.number}  ${h.from} -> ${h.to}  ${Object.keys(h.artifacts).join(', ')}${h.message ? `  "${h.message}"` : ''}`)
    return {handoffs}
  }
}
