import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withAbort} from '../cli/signals.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {claimNextNode, HeldClaims, leftClaimedText, nothingClaimable, releaseHeld} from '../core/dag/claims.js'
import {stoppedError} from '../core/errors.js'
import type {NodeFile} from '../core/schemas/index.js'
import {excludedLocalNodes} from '../core/views/local-edits.js'
import {policies} from '../core/flows/policies.js'
import {recordHandClaim} from '../core/flows/hand-run.js'

export default class Claim extends WorkspaceCommand {
  static override summary = 'Claim one claimable node and print its id (exit 3 when nothing is claimable).'
  static override examples = ['<%= config.bin %> claim --worker ci-1', '<%= config.bin %> claim --team arch --json']
  static override flags = {
    team: Flags.string({description: 'claim only from this team'}),
    worker: Flags.string({description: 'worker name recorded on the claim (default: $RIGOR_WORKER or host-pid)'}),
  }

  async run(): Promise<{claimed: NodeFile}> {
    const {flags} = await this.parse(Claim)
    const worker = workerName(flags.worker)
    const held = new HeldClaims()
    let leftBehind: (() => string) | undefined
    // a claim stopped on its way (SIGINT, SIGTERM: a CI step's timeout) lands all the same once pushed: it is put back
    // rather than left held, its id told to no one, until its lease expires. A second signal leaves at once, naming it
    const claimed = await this.traced(
      {},
      () =>
        withAbort(
          ({signal}) =>
            withWorkspace(flags, async (ws) => {
              leftBehind = () => leftClaimedText(worker, held.ids, ws.config.lease.duration, held.maybeIds)
              const exclude = await excludedLocalNodes(ws, (m) => this.warn(m))
              assertKnownTeam(ws.config, await ws.currentSnapshot(), flags.team)
              const result = await claimNextNode(ws, {
                admission: policies.admission,
                worker,
                team: flags.team,
                exclude,
                onDecided: (nodes) => held.claiming(nodes),
              })
              if (!result.claimed) throw nothingClaimable(result)
              held.hold([result.claimed])
              held.claiming([])
              if (signal.aborted) {
                const node = result.claimed
                await releaseHeld(ws, worker, (n) => n.id === node.id && held.holds(n), 'the claim was stopped')
                held.drop(node.id, node)
                throw stoppedError(signal.reason, `the claim of ${node.id}`, 'run rigor claim again', `${node.id} was put back`)
              }
              await recordHandClaim(ws, result.claimed)
              return result.claimed
            }),
          {onLeave: () => leftBehind?.()},
        ),
      {stopsCleanly: true},
    )
    if (!this.jsonEnabled()) process.stdout.write(`${claimed.id}\n`)
    return {claimed}
  }
}
