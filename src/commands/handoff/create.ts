import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {commandLineBase, withWorkspace} from '../../cli/workspace.js'
import {createHandoff, type CreatedHandoff} from '../../core/flows/handoff.js'

export default class HandoffCreate extends WorkspaceCommand {
  static override summary = 'Hand files from one party to another, each pinned by its sha256, in handoffs/<task>/<n>-<from>-to-<to>.yaml.'
  static override description =
    'Artifacts are files inside the workspace (paths relative to the current directory or --cwd); the handoff file is committed in one commit, the artifacts themselves are not.'
  static override examples = [
    '<%= config.bin %> handoff create --task data-prep --from alice --to bob --artifact data/prices.csv --message "cleaned"',
  ]
  static override flags = {
    task: Flags.string({required: true, description: 'the task the handoff belongs to (lowercase, like a node id segment)'}),
    from: Flags.string({required: true, description: 'who hands over'}),
    to: Flags.string({required: true, description: 'who receives'}),
    artifact: Flags.string({required: true, multiple: true, description: 'a file in the workspace (repeatable)'}),
    message: Flags.string({description: 'what the receiver should know'}),
  }

  async run(): Promise<CreatedHandoff> {
    const {flags} = await this.parse(HandoffCreate)
    const result = await withWorkspace(flags, (ws) =>
      createHandoff(ws, {
        task: flags.task,
        from: flags.from,
        to: flags.to,
        artifacts: flags.artifact,
        message: flags.message,
        base: commandLineBase(flags),
      }),
    )
    this.say(`wrote ${result.file} (${Object.keys(result.handoff.artifacts).length} artifact(s))`)
    return result
  }
}
