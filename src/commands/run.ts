import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {claimNode, leftClaimedText} from '../core/dag/claims.js'
import {CheckFailedError, stoppedError} from '../core/errors.js'
import {executeClaimedNode, type ExecuteOutcome} from '../core/dag/execute.js'
import {readableNode} from '../core/state/store.js'
import {sweepGroupNamed} from '../core/dag/sweeps.js'
import {assertNotEditedHere, assertRunnableClaim, forgetHandClaim} from '../core/flows/hand-run.js'
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
    // the claim of a pending node is made under the signal handlers too: stopped while it is on its way (a push to a
    // remote), the claim lands all the same and is put back, rather than held by a worker that is gone
    let holding: {worker: string; id: string; landed: boolean} | undefined
    return withWorkspace(
      flags,
      (ws) =>
        withAbort(
          async ({signal, groups}) => {
            const snap = await ws.currentSnapshot()
            let node = readableNode(snap, args.id).node
            // bad input, as rigor rerun says it: a sweep group is never claimable
            if (node.sweep)
              throw sweepGroupNamed(snap, node.id, {problem: 'which holds variants and never runs', fix: 'run one of its variants'})
            await assertNotEditedHere(ws, node.id)
            if (node.status === 'pending') {
              if (signal.aborted) throw stoppedError(signal.reason, `the run of ${args.id}`, `run rigor run ${args.id} again`)
              const worker = workerName(flags.worker)
              holding = {worker, id: args.id, landed: false}
              node = await claimNode(ws, args.id, {admission: policies.admission, worker})
              holding.landed = true
            } else await assertRunnableClaim(ws, node, flags.worker)
            holding ??= {worker: node.worker!, id: node.id, landed: true}
            // stopped before this point, the run puts the claim back at once (the attempt not counted) without starting
            const outcome = await executeClaimedNode(ws, node, {worker: node.worker!, signal, groups, telemetry})
            await forgetHandClaim(ws, node)
            // taken back while it ran (a cancel and a rerun, an expired lease): nothing of the run was recorded, which a
            // script doing `rigor run X && ...` must not read as done
            if (outcome.kind === 'lost')
              throw new CheckFailedError(`the run of ${outcome.id} was not recorded: ${outcome.why}`, {
                fix: `see what became of it (rigor show ${outcome.id}); when it is pending again, rigor run ${outcome.id} runs it`,
              })
            if (outcome.kind === 'verdict') this.say(`${outcome.id}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`)
            else this.say(`${outcome.id}: ${outcome.kind}${'why' in outcome && outcome.why ? ` (${outcome.why})` : ''}`)
            return outcome
          },
          {
            onLeave: () =>
              holding &&
              leftClaimedText(
                holding.worker,
                holding.landed ? [holding.id] : [],
                ws.config.lease.duration,
                holding.landed ? [] : [holding.id],
              ),
          },
        ),
      {configDraft: true},
    )
  }
}
