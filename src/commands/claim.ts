import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {claimNextNode, nothingClaimable} from '../core/dag/claims.js'
import type {NodeFile} from '../core/schemas/index.js'
import {excludedLocalNodes} from '../core/views/local-edits.js'
import {policies} from '../core/flows/policies.js'

export default class Claim extends WorkspaceCommand {
  static override summary = 'Claim one claimable node and print its id (exit 3 when nothing is claimable).'
  static override examples = ['<%= config.bin %> claim --worker ci-1', '<%= config.bin %> claim --team arch --json']
  static override flags = {
    team: Flags.string({description: 'claim only from this team'}),
    worker: Flags.string({description: 'worker name recorded on the claim (default: $RIGOR_WORKER or host-pid)'}),
  }

  async run(): Promise<{claimed: NodeFile}> {
    const {flags} = await this.parse(Claim)
    return withWorkspace(flags, async (ws) => {
      const exclude = await excludedLocalNodes(ws, (m) => this.warn(m))
      assertKnownTeam(ws.config, await ws.currentSnapshot(), flags.team)
      const result = await claimNextNode(ws, {admission: policies.admission, worker: workerName(flags.worker), team: flags.team, exclude})
      if (!result.claimed) throw nothingClaimable(result)
      if (!this.jsonEnabled()) process.stdout.write(`${result.claimed.id}\n`)
      return {claimed: result.claimed}
    })
  }
}
