import {WorkspaceCommand} from '../../cli/base.js'
import {numberFlag} from '../../cli/flags.js'
import {withWorkspace} from '../../cli/workspace.js'
import {cancelCycle, type CycleCancelResult} from '../../core/flows/cycle-cancel.js'

export default class CycleCancel extends WorkspaceCommand {
  static override summary = "Cancel this checkout's cycle: it stops its runners, puts its claims back and records the outcome cancelled."
  static override description =
    'A running cycle is sent SIGTERM with a cancel request and waited for. A cycle that was killed is closed here (its claims put back), so the next `rigor cycle` starts afresh instead of resuming it. Exit 3 when no cycle is in progress.'
  static override examples = ['<%= config.bin %> cycle cancel', '<%= config.bin %> cycle cancel --wait 300 --json']
  static override flags = {
    wait: numberFlag({integer: true, min: 1})({description: 'seconds to wait for the cycle to stop', default: 120}),
  }

  async run(): Promise<CycleCancelResult> {
    const {flags} = await this.parse(CycleCancel)
    const result = await withWorkspace(flags, (ws) => cancelCycle(ws, {waitMs: flags.wait * 1000}))
    this.say(
      result.outcome === 'cancelled'
        ? `cancelled cycle ${result.id}${result.was_running ? ` (pid ${result.pid} stopped)` : ' (its process was gone)'}${result.released.length ? `; put back ${result.released.length} node(s)` : ''}`
        : `cycle ${result.id} ended on its own (${result.outcome}) before the cancel reached it`,
    )
    return result
  }
}
