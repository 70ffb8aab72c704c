import {WorkspaceCommand} from '../../cli/base.js'
import {numberFlag} from '../../cli/flags.js'
import {withSignalsPassedOn} from '../../cli/signals.js'
import {withWorkspace} from '../../cli/workspace.js'
import {runScheduledCycle} from '../../core/schedule/runs.js'
import type {ScheduledRun} from '../../core/schemas/index.js'
import {MAX_WORKER_SLOTS} from '../../core/validation.js'

export default class ScheduleRun extends WorkspaceCommand {
  static override summary =
    'Run `rigor cycle` once as the schedule does: its output also written to .git/rigor/logs/, its outcome recorded for `rigor schedule status`.'
  static override description =
    "What the systemd service and the crontab line of `rigor schedule install` run. Exits with the cycle's exit code. SIGINT and SIGTERM are passed on to the cycle, which stops cleanly (its claims put back)."
  static override examples = ['<%= config.bin %> schedule run', '<%= config.bin %> schedule run --parallel 4']
  static override flags = {
    parallel: numberFlag({integer: true, min: 1, max: MAX_WORKER_SLOTS})({
      char: 'p',
      description: 'slots the cycle runs at once (rigor cycle --parallel)',
    }),
  }

  async run(): Promise<ScheduledRun> {
    const {flags} = await this.parse(ScheduleRun)
    const paths = await withWorkspace(flags, async (ws) => ({root: ws.root, gitDir: ws.repo.paths.gitDir}))
    const cycleArgs = [
      ...(flags.parallel ? ['--parallel', String(flags.parallel)] : []),
      ...(flags.remote ? ['--remote', flags.remote] : []),
    ]
    const record = await withSignalsPassedOn(({passTo}) =>
      runScheduledCycle({cwd: paths.root, gitDir: paths.gitDir, cycleArgs, quiet: this.jsonEnabled(), onStart: passTo}),
    )
    this.say(`scheduled cycle: ${record.outcome}${record.exit_code === null ? '' : ` (exit ${record.exit_code})`}; log ${record.log}`)
    if (record.exit_code !== 0) process.exitCode = record.exit_code ?? 1
    return record
  }
}
