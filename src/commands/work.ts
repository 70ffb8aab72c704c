import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {durationFlag, numberFlag, stopTimeFlag} from '../cli/flags.js'
import {someIds} from '../core/state/ids.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {batchedLines, endedUnfinished, plainProgress, type Progress} from '../cli/progress.js'
import {HeldClaims, leftClaimedText} from '../core/dag/claims.js'
import {takeBackEarlierRun} from '../core/dag/supervise.js'
import {InputError} from '../core/errors.js'
import {withAbort} from '../cli/signals.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {excludedLocalNodes} from '../core/views/local-edits.js'
import {runWorkLoop, type WorkSummary} from '../core/flows/worker.js'
import {policies} from '../core/flows/policies.js'
import {followState} from '../core/flows/follow.js'
import {ATTR, type Telemetry} from '../core/telemetry/telemetry.js'
import {MAX_WORKER_SLOTS} from '../core/validation.js'

/** how often a follower looks without a sign of change (--poll) */
const DEFAULT_POLL_MS = 30_000

/** `rigor work --json`: the loop's summary, and with --restarted the nodes an earlier run of the same worker held and this one took back. */
export type WorkResult = WorkSummary & {taken_back?: string[]}

export default class Work extends WorkspaceCommand {
  static override summary = 'Claim and run nodes with N parallel slots until nothing is claimable (with --follow: until stopped).'
  static override description =
    'With --follow it keeps waiting when nothing is claimable (queue empty, requirements or waits_for not met, team at max_parallel, nodes held by other workers) and tries again when the state changes: locally it watches the state branch (and looks every --poll anyway), with --remote it fetches every --poll, doubling the interval while idle up to 10m. ' +
    'Ctrl-C (or SIGTERM) stops cleanly: no new claims, running nodes are stopped and their claims put back; exit 130 (143 for SIGTERM). A second Ctrl-C leaves at once, naming the nodes it leaves claimed (their lease expires and `rigor supervise` takes them back). ' +
    'Claims of workers that died are taken back by `rigor supervise --interval`.'
  static override examples = [
    '<%= config.bin %> work --parallel 8',
    '<%= config.bin %> work --team arch --max-nodes 10',
    '<%= config.bin %> work --follow --parallel 4',
    '<%= config.bin %> work --follow --remote origin --poll 1m',
    '<%= config.bin %> work --remote origin --stop-at 2025-03-01T17:00:00Z',
    '<%= config.bin %> work --remote origin --worker slurm-42-3 --restarted',
  ]
  static override flags = {
    team: Flags.string({description: 'work only on this team'}),
    parallel: numberFlag({integer: true, min: 1, max: MAX_WORKER_SLOTS})({char: 'p', description: 'slots running at once', default: 1}),
    'max-nodes': numberFlag({integer: true, min: 1})({description: 'stop after claiming this many nodes'}),
    worker: Flags.string({description: 'worker name (default: $RIGOR_WORKER or host-pid)'}),
    follow: Flags.boolean({description: 'keep waiting for work when nothing is claimable, until stopped'}),
    poll: durationFlag()({
      description:
        'with --follow: how often to look without a sign of change (locally a fallback to watching the branch; with --remote the first fetch interval, doubled while idle); default 30s',
      dependsOn: ['follow'],
    }),
    'stop-at': stopTimeFlag({
      description:
        'leave at this time (ISO 8601 with zone, or @<unix seconds>) as on SIGTERM: running nodes stopped and put back, exit 0 (a batch job before its time limit)',
    }),
    restarted: Flags.boolean({
      description:
        'this worker name ran before and was killed (a requeued Slurm task): first kill what runs of killed workers left running on this machine and take back what it still holds, as `rigor supervise` does once a lease expires (the attempt counts)',
    }),
    prefetch: numberFlag({integer: true, min: 1, max: 64})({
      description:
        'nodes claimed per claim commit, each with its own lease; unstarted ones are put back (default: 1, or from the contention with --remote)',
    }),
  }

  async run(): Promise<WorkResult> {
    return this.traced({}, (telemetry) => this.work(telemetry), {stopsCleanly: true})
  }

  private async work(telemetry: Telemetry): Promise<WorkResult> {
    const {flags} = await this.parse(Work)
    telemetry.set({'rigor.parallel': flags.parallel, [ATTR.team]: flags.team})
    // the default name (host and pid) is new in every process: nothing an earlier run held goes by it
    if (flags.restarted && flags.worker === undefined && process.env.RIGOR_WORKER === undefined)
      throw new InputError('--restarted takes back what an earlier run held under the same worker name, and none was given', {
        field: '--restarted',
        fix: 'give the name the earlier run worked under: --worker NAME (or $RIGOR_WORKER)',
      })
    const lines = batchedLines((text) => this.say(text))
    let progress: Progress | undefined
    const stopping = () => {
      lines.flush()
      const line = 'stopping: running nodes are stopped and put back (Ctrl-C again to leave at once)...'
      if (progress) progress.notice(line)
      else this.say(line)
    }
    // what a second signal leaves claimed, said as it leaves: known once the workspace is open
    const held = new HeldClaims()
    let leftBehind: (() => string) | undefined
    // --restarted: what an earlier run under this worker name held and this one took back
    let takenBack: string[] | undefined
    // around the workspace too: a signal while it closes (syncing the checkout) must not kill git halfway
    return withAbort(
      ({signal, groups, launcher}) =>
        withWorkspace(
          flags,
          async (ws) => {
            const worker = workerName(flags.worker)
            leftBehind = () => leftClaimedText(worker, held.ids, ws.config.lease.duration, held.maybeIds)
            assertKnownTeam(ws.config, await ws.currentSnapshot(), flags.team)
            if (flags.restarted) {
              const taken = await takeBackEarlierRun(ws, worker)
              for (const k of taken.runs.killed)
                this.say(`killed leftover run ${k.run}${k.node ? ` of ${k.node}` : ''}: pids ${k.pids.join(' ')}`)
              const ids = [...taken.requeued, ...taken.expired]
              takenBack = ids
              if (ids.length) this.say(`took back from an earlier run of ${worker}: ${someIds(ids)} (the attempt counts)`)
            }
            const display =
              process.stdout.isTTY && !this.jsonEnabled()
                ? (await import('../cli/live-progress.js')).listrProgress(flags.parallel, (text) => this.log(text))
                : plainProgress(lines.write)
            progress = display
            const summary = await runWorkLoop(ws, {
              admission: policies.admission,
              worker,
              parallel: flags.parallel,
              maxNodes: flags['max-nodes'],
              stopAt: flags['stop-at'],
              prefetch: flags.prefetch,
              team: flags.team,
              signal,
              groups,
              launcher,
              onEvent: (e) => display.onEvent(e),
              exclude: await excludedLocalNodes(ws, (m) => this.warn(m)),
              follow: flags.follow ? followState(ws, {pollMs: flags.poll ?? DEFAULT_POLL_MS}) : undefined,
              telemetry,
              held,
            }).finally(lines.flush)
            await display.done()
            const statuses = Object.entries(summary.by_status)
              .map(([s, n]) => `${n} ${s}`)
              .join(', ')
            this.say(
              `${worker}: ran ${summary.finished} node(s)${statuses ? ` (${statuses})` : ''}; stopped: ${summary.stopped_because}${endedUnfinished(summary)}`,
            )
            // a stop that could not put every claim back (its remote unreachable) says which are still held
            if ((summary.stopped_because === 'interrupted' || summary.stopped_because === 'deadline') && summary.detail)
              this.warn(summary.detail)
            return takenBack ? {...summary, taken_back: takenBack} : summary
          },
          {configDraft: true},
        ),
      {onStop: stopping, onLeave: () => leftBehind?.(), runnerHelper: true},
    )
  }
}
