import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {reasonFlag} from '../cli/flags.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {cancelNode, type CancelResult} from '../core/dag/cancel.js'
import {someIds} from '../core/state/ids.js'

export default class Cancel extends WorkspaceCommand {
  static override summary = 'Cancel a pending or running node (a sweep group: all its unfinished variants).'
  static override description =
    'A running node is stopped by the worker holding it (SIGTERM, then SIGKILL after a grace period), which records the cancel.'
  static override examples = ['<%= config.bin %> cancel arch/hidden/lower-25', '<%= config.bin %> cancel arch/hidden --reason "wrong data"']
  static override args = {id: Args.string({description: 'node id', required: true})}
  static override flags = {
    reason: reasonFlag()({description: 'why (recorded on the node)'}),
    by: Flags.string({description: 'who cancels (default: $RIGOR_WORKER or host-pid)'}),
  }

  async run(): Promise<CancelResult> {
    const {args, flags} = await this.parse(Cancel)
    const result = await withWorkspace(flags, (ws) => cancelNode(ws, args.id, {by: workerName(flags.by, '--by'), reason: flags.reason}))
    this.say(
      `cancelled ${someIds(result.cancelled) || 'nothing'}${result.stopping.length ? `; stopping ${someIds(result.stopping)}` : ''}${result.blocked.length ? `; blocked ${someIds(result.blocked)}` : ''}`,
    )
    return result
  }
}
