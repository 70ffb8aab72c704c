import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {claimNode} from '../core/dag/claims.js'
import {liveRunOf, runsDirectory} from '../core/dag/run-records.js'
import {CheckFailedError} from '../core/errors.js'
import {executeClaimedNode, type ExecuteOutcome} from '../core/dag/execute.js'
import {readableNode} from '../core/state/store.js'
import {policies} from '../core/flows/policies.js'
import {ATTR, type Telemetry} from '../core/telemetry/telemetry.js'

export default class Run extends WorkspaceCommand {
  static override summary = 'Run a node: write its verdict, apply gates and rules (a pending node is claimed first).'
  static override examples = ['<%= config.bin %> run loss/sharpe-pf', 'id=$(rigor claim) && <%= config.bin %> run "$id"']
  static override args = {id: Args.string({description: 'node id', required: true})}
  static override flags = {
    worker: Flags.string({description: "the worker holding the claim (default: the claim's own worker)"}),
  }

  async run(): Promise<ExecuteOutcome> {
    return this.traced({}, (telemetry) => this.runNode(telemetry), {stopsCleanly: true})
  }

  private async runNode(telemetry: Telemetry): Promise<ExecuteOutcome> {
    const {args, flags} = await this.parse(Run)
    telemetry.set({[ATTR.nodeId]: args.id})
    return withWorkspace(flags, async (ws) => {
      let node = readableNode(await ws.currentSnapshot(), args.id).node
      if (node.status === 'pending') node = await claimNode(ws, args.id, {admission: policies.admission, worker: workerName(flags.worker)})
      else if (node.status !== 'running') {
        throw new CheckFailedError(`node ${args.id} is ${node.status}; only pending or claimed nodes run`, {
          fix: `rigor rerun ${args.id} puts it back to pending (its verdict stays in the history); then run it`,
        })
      } else if (flags.worker && node.worker !== flags.worker) {
        throw new CheckFailedError(`node ${args.id} is held by worker ${node.worker}, not ${flags.worker}`, {
          fix: 'run it as its own worker, or wait for `rigor supervise` to re-queue it',
        })
      } else {
        // a claim someone is running right now is not run a second time under its worker's name
        const live = await liveRunOf(runsDirectory(ws.repo.paths.commonDir), node.id, node.attempt)
        if (live) {
          throw new CheckFailedError(`node ${args.id} is being run now by worker ${node.worker} (pid ${live.worker_pid} on this machine)`, {
            fix: 'wait for its verdict (rigor show), or stop that run: rigor cancel',
          })
        }
      }
      return withAbort(async ({signal, groups}) => {
        const outcome = await executeClaimedNode(ws, node, {worker: node.worker!, signal, groups, telemetry})
        if (outcome.kind === 'verdict') this.say(`${outcome.id}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`)
        else this.say(`${outcome.id}: ${outcome.kind}${'why' in outcome && outcome.why ? ` (${outcome.why})` : ''}`)
        return outcome
      })
    })
  }
}
