import {Flags} from '@oclif/core'
import {RigorCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {createHandoff} from '../../core/handoff.js'

export default class HandoffCreate extends RigorCommand {
  static override summary = 'Hand artifacts from one party to another, with their checksums, in handoffs/<task>/.'
  static override examples = ['<%= config.bin %> handoff create --task data-prep --from alice --to bob --artifact data/prices.csv --message "cleaned"']
  static override flags = {
    task: Flags.string({required: true, description: 'the task the handoff belongs to'}),
    from: Flags.string({required: true, description: 'who hands off'}),
    to: Flags.string({required: true, description: 'who receives'}),
    artifact: Flags.string({required: true, multiple: true, description: 'a file in the workspace (repeatable)'}),
    message: Flags.string({description: 'what the receiver should know'}),
  }

  async run() {
    const {flags} = await this.parse(HandoffCreate)
    const result = await withWorkspace(flags.cwd, (ws) =>
      createHandoff(ws, {task: flags.task, from: flags.from, to: flags.to, artifacts: flags.artifact, message: flags.message}),
    )
    this.say(`wrote ${result.file} (${Object.keys(result.handoff.artifacts).length} artifact(s))`)
    return result
  }
}
