import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
// the auditor reports its backlog and failure rate to the health checks
import {withWorkspace, workerName} from '../cli/workspace.js'
import {withAbort} from '../cli/signals.js'
import {someIds} from '../core/state/ids.js'
import {cleanGitDir, describeGitDirCleanup, type GitDirCleanup} from '../core/state/scratch-dirs.js'
import type {LeftoverReport} from '../core/dag/run-records.js'
import {cleanLeftovers, healthCheck, requeueExpiredLeases, type HealthReport, type SuperviseResult} from '../core/dag/supervise.js'
import {policies} from '../core/flows/policies.js'
import {RemoteUnreachableError} from '../core/errors.js'

export default class Supervise extends WorkspaceCommand {
  static override summary =
    'Re-queue nodes whose lease expired (up to lease.max_attempts, then inconclusive), kill runs left by dead workers on this machine, and print health checks.'
  static override examples = ['<%= config.bin %> supervise --once', '<%= config.bin %> supervise --interval 60']
  static override flags = {
    once: Flags.boolean({description: 'one pass, then exit'}),
    interval: numberFlag({integer: true, min: 1})({description: 'seconds between passes (without --once)', default: 60}),
    by: Flags.string({description: 'supervisor name (default: $RIGOR_WORKER or host-pid)'}),
  }

  async run(): Promise<
    {
      health: HealthReport
      supervised: SuperviseResult
      runs: LeftoverReport
    } & GitDirCleanup
  > {
    const {flags} = await this.parse(Supervise)
    const by = workerName(flags.by, '--by')
    const pass = () =>
      withWorkspace(flags, async (ws) => {
        // leftovers first: a node is re-queued only once nothing of its old run still writes
        const runs = await cleanLeftovers(ws)
        const supervised = await requeueExpiredLeases(ws, {by})
        // the health after the pass: a lease it took back is no longer stuck
        const health = await healthCheck(ws, policies.auditStats)
        const cleanup = await cleanGitDir(ws.repo.paths.commonDir)
        // what the pass did, then the state it left
        for (const line of describeGitDirCleanup(cleanup)) this.say(line)
        for (const k of runs.killed) this.say(`killed leftover run ${k.run}${k.node ? ` of ${k.node}` : ''}: pids ${k.pids.join(' ')}`)
        if (runs.removed.length) this.say(`removed ${runs.removed.length} stale run director${runs.removed.length === 1 ? 'y' : 'ies'}`)
        this.say(
          `re-queued ${listed(supervised.requeued)}, expired (inconclusive) ${listed(supervised.expired)}, blocked ${listed(supervised.blocked)}`,
        )
        this.say(
          `health after: running ${health.running}, pending ${health.pending}, stuck ${health.stuck.length}, corrupt ${health.corrupt.length}, ` +
            `audit backlog ${health.audit_backlog}, failed-audit rate ${health.failed_audit_rate === null ? 'n/a' : health.failed_audit_rate.toFixed(2)}`,
        )
        for (const s of health.stuck) this.say(`  stuck: ${s.id} (worker ${s.worker}, lease until ${s.lease_until})`)
        for (const c of health.corrupt) this.say(`  corrupt: ${c.file}: ${c.message}`)
        return {health, supervised, runs, ...cleanup}
      })
    if (flags.once) return pass()
    return withAbort(async ({signal}) => {
      let last = await pass()
      let away: string | undefined
      while (!signal.aborted) {
        for (let waited = 0; waited < flags.interval * 10 && !signal.aborted; waited++) await new Promise((r) => setTimeout(r, 100))
        if (signal.aborted) break
        try {
          last = await pass()
        } catch (err) {
          // a long-lived supervisor outlives an outage of its remote, as a following worker does: the claims of workers
          // that died meanwhile are taken back once it is back. The first pass still fails: a wrong remote is said at once
          if (!(err instanceof RemoteUnreachableError)) throw err
          if (away === undefined) this.warn(`${err.message.split('\n', 1)[0]}: trying again every ${flags.interval}s`)
          away = err.message
          continue
        }
        if (away !== undefined) this.warn('the remote can be reached again')
        away = undefined
      }
      return last
    })
  }
}

/** A count with the first few ids: `4 (a/1, a/2, a/3, ... and 1 more)`. */
function listed(ids: readonly string[]): string {
  return ids.length === 0 ? '0' : `${ids.length} (${someIds(ids, 3)})`
}
