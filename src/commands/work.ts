import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {listrProgress, plainProgress} from '../cli/progress.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {excludedLocalNodes} from '../core/views/local-edits.js'
import {runWorkLoop, type WorkSummary} from '../core/flows/worker.js'
import {policies} from '../core/flows/policies.js'

export default class Work extends WorkspaceCommand {
  static override summary = 'Claim and run nodes with N parallel slots until nothing is claimable.'
  static override description =
    'Ctrl-C (or SIGTERM) stops cleanly: no new claims, running nodes are stopped and their claims put back; exit 130 (143 for SIGTERM). A second Ctrl-C leaves at once.'
  static override examples = ['<%= config.bin %> work --parallel 8', '<%= config.bin %> work --team arch --max-nodes 10']
  static override flags = {
    team: Flags.string({description: 'work only on this team'}),
    parallel: numberFlag({integer: true, min: 1, max: 256})({char: 'p', description: 'slots running at once', default: 1}),
    'max-nodes': numberFlag({integer: true, min: 1})({description: 'stop after claiming this many nodes'}),
    worker: Flags.string({description: 'worker name (default: $RIGOR_WORKER or host-pid)'}),
    prefetch: numberFlag({integer: true, min: 1, max: 64})({
      description:
        'nodes claimed per claim commit, each with its own lease; unstarted ones are put back (default: 1, or from the contention with --remote)',
    }),
  }

  async run(): Promise<WorkSummary> {
    const {flags} = await this.parse(Work)
    const stopping = () => this.say('stopping: running nodes are stopped and put back (Ctrl-C again to leave at once)...')
    // around the workspace too: a signal while it closes (syncing the checkout) must not kill git halfway
    return withAbort(
      ({signal, groups}) =>
        withWorkspace(flags, async (ws) => {
          const worker = workerName(flags.worker)
          assertKnownTeam(ws.config, await ws.currentSnapshot(), flags.team)
          const progress =
            process.stdout.isTTY && !this.jsonEnabled()
              ? listrProgress(flags.parallel, (text) => this.log(text))
              : plainProgress((line) => this.say(line))
          const summary = await runWorkLoop(ws, {
            admission: policies.admission,
            worker,
            parallel: flags.parallel,
            maxNodes: flags['max-nodes'],
            prefetch: flags.prefetch,
            team: flags.team,
            signal,
            groups,
            onEvent: (e) => progress.onEvent(e),
            exclude: await excludedLocalNodes(ws, (m) => this.warn(m)),
          })
          await progress.done()
          const statuses = Object.entries(summary.by_status)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ')
          this.say(
            `${worker}: ran ${summary.finished} node(s)${statuses ? ` (${statuses})` : ''}; stopped: ${summary.stopped_because}${summary.released ? `; ${summary.released} put back` : ''}`,
          )
          return summary
        }),
      {onStop: stopping},
    )
  }
}
