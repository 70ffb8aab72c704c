import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {reasonFlag} from '../cli/flags.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {rerunNode, type RerunResult} from '../core/dag/rerun.js'
import {someIds} from '../core/state/ids.js'

export default class Rerun extends WorkspaceCommand {
  static override summary = 'Run a finished node again (retrain a stage): back to pending, its last verdict kept in the history.'
  static override description =
    'Nodes that read its outputs through inputs: keep their verdicts; once the new outputs differ they are shown stale in status, show and verify. Nodes it had blocked (a rejected stage blocks the stages after it) are pending again and wait for it. A blocked node runs again once what blocked it does.'
  static override examples = ['<%= config.bin %> rerun momentum/train --reason "new data"']
  static override args = {id: Args.string({description: 'node id', required: true})}
  static override flags = {
    reason: reasonFlag()({description: 'why (recorded on the node)'}),
    by: Flags.string({description: 'who asks (default: $RIGOR_WORKER or host-pid)'}),
  }

  async run(): Promise<RerunResult> {
    const {args, flags} = await this.parse(Rerun)
    const result = await withWorkspace(flags, (ws) => rerunNode(ws, args.id, {by: workerName(flags.by, '--by'), reason: flags.reason}))
    // one node turns stale or waits; several turn stale or wait
    const verb = (ids: string[], one: string, many: string) => (ids.length === 1 ? one : many)
    this.say(
      `${result.id} is pending again (was ${result.was})${result.dependents.length ? `; read by ${someIds(result.dependents)}, which ${verb(result.dependents, 'turns', 'turn')} stale if its outputs change` : ''}${result.unblocked.length ? `; ${someIds(result.unblocked)}, which it had blocked, ${verb(result.unblocked, 'waits', 'wait')} for it again` : ''}`,
    )
    for (const {from, why} of result.stale_inputs)
      this.warn(
        `${result.id} reads ${from}, which is stale itself (${why}): run now, it reads outputs made from the old inputs and is stale again; rerun ${from} first (rigor rerun ${from}), and ${result.id} waits for it`,
      )
    return result
  }
}
