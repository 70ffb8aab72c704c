import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {claimNode, leftClaimedText} from '../core/dag/claims.js'
import {liveRunOf, runsDirectory} from '../core/dag/run-records.js'
import {CheckFailedError, stoppedError} from '../core/errors.js'
import {executeClaimedNode, type ExecuteOutcome} from '../core/dag/execute.js'
import {readableNode} from '../core/state/store.js'
import {nodeFilePath} from '../core/state/layout.js'
import {locallyModifiedStateFiles} from '../core/views/local-edits.js'
import type {Workspace} from '../core/state/workspace.js'
import type {NodeFile} from '../core/schemas/index.js'
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
    return withWorkspace(flags, (ws) =>
      withAbort(
        async ({signal, groups}) => {
          let node = readableNode(await ws.currentSnapshot(), args.id).node
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
    )
  }
}

/** A node that is not pending runs only as the claim it is, and only when no one on this machine runs it now. */
async function assertRunnableClaim(ws: Workspace, node: NodeFile, worker: string | undefined): Promise<void> {
  if (node.status !== 'running') {
    throw new CheckFailedError(`node ${node.id} is ${node.status}; only pending or claimed nodes run`, {
      fix: `rigor rerun ${node.id} puts it back to pending (its verdict stays in the history); then run it`,
    })
  }
  if (worker && node.worker !== worker) {
    throw new CheckFailedError(`node ${node.id} is held by worker ${node.worker}, not ${worker}`, {
      fix: 'run it as its own worker, or wait for `rigor supervise` to re-queue it',
    })
  }
  // a claim someone is running right now is not run a second time under its worker's name
  const live = await liveRunOf(runsDirectory(ws.repo.paths.commonDir), node.id, node.attempt)
  if (live) {
    throw new CheckFailedError(`node ${node.id} is being run now by worker ${node.worker} (pid ${live.worker_pid} on this machine)`, {
      fix: 'wait for its verdict (rigor show), or stop that run: rigor cancel',
    })
  }
}

/**
 * A node whose node.yaml is edited in this checkout and not committed is not run from here, as `claim` and `work` do
 * not claim it: the run would be of the committed file, not the edit, and its verdict would leave the edit behind.
 */
async function assertNotEditedHere(ws: Workspace, id: string): Promise<void> {
  const file = nodeFilePath(id)
  if (!(await locallyModifiedStateFiles(ws, {paths: [file], untracked: false})).includes(file)) return
  throw new CheckFailedError(`${file} has uncommitted edits: node ${id} is not run from this checkout (it would run as committed)`, {
    fix: `commit or restore the file (git checkout -- ${file}); \`rigor verify\` checks it`,
  })
}
