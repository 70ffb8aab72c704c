import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {clockTimeFlag, numberFlag} from '../../cli/flags.js'
import {withWorkspace} from '../../cli/workspace.js'
import {installSchedule, type InstallResult} from '../../core/schedule/install.js'
import {DEFAULT_AT, formatClock, scheduledJob} from '../../core/schedule/job.js'
import {schedulePrograms} from '../../core/schedule/programs.js'
import {unitName} from '../../core/schedule/systemd.js'
import {MAX_WORKER_SLOTS} from '../../core/validation.js'

export default class ScheduleInstall extends WorkspaceCommand {
  static override summary = 'Run `rigor cycle` in this workspace every day: a systemd user timer, or a crontab line.'
  static override description =
    'The job is `rigor schedule run` (node and rigor by absolute path, PATH as it is now), which runs `rigor cycle` and writes its output to the journal (or cron) and to .git/rigor/logs/. ' +
    '--systemd writes rigor-cycle-<workspace>.service and .timer into ~/.config/systemd/user ($XDG_CONFIG_HOME) and prints the systemctl line that starts the timer; rigor never runs systemctl itself. ' +
    '--cron puts the line into your crontab (`crontab -l`, `crontab -`), replacing the one an earlier install wrote for this workspace; with no crontab program it prints the line to add. ' +
    'Run it again to change the time. $RIGOR_CRONTAB and $RIGOR_SYSTEMCTL name other programs to use.'
  static override examples = [
    '<%= config.bin %> schedule install --systemd',
    '<%= config.bin %> schedule install --cron --at 05:30',
    '<%= config.bin %> schedule install --systemd --dry-run',
  ]
  static override flags = {
    systemd: Flags.boolean({description: 'install a systemd user service and timer', exactlyOne: ['systemd', 'cron']}),
    cron: Flags.boolean({description: 'install a crontab line', exactlyOne: ['systemd', 'cron']}),
    at: clockTimeFlag()({description: `the time of day, local time (default ${formatClock(DEFAULT_AT)})`}),
    parallel: numberFlag({integer: true, min: 1, max: MAX_WORKER_SLOTS})({
      char: 'p',
      description: 'slots the cycle runs at once (rigor cycle --parallel)',
    }),
    'dry-run': Flags.boolean({description: 'print what would be written; write nothing'}),
  }

  async run(): Promise<InstallResult> {
    const {flags} = await this.parse(ScheduleInstall)
    const kind = flags.systemd ? 'systemd' : 'cron'
    const root = await withWorkspace(flags, async (ws) => ws.root)
    const cycleArgs = [
      ...(flags.parallel ? ['--parallel', String(flags.parallel)] : []),
      ...(flags.remote ? ['--remote', flags.remote] : []),
    ]
    const job = scheduledJob(root, {kind, at: flags.at ?? DEFAULT_AT, cycleArgs, path: process.env.PATH, field: '--remote'})
    const result = await installSchedule(job, kind, {env: process.env, programs: schedulePrograms(process.env)}, flags['dry-run'] === true)
    if (result.warning) this.warn(result.warning)
    const when = `every day at ${result.at} (local time)`
    if (kind === 'systemd') {
      for (const file of result.files) {
        if (result.dry_run) this.say(`${file.path} would be:\n${file.content}`)
        else this.say(`wrote ${file.path}`)
      }
      this.say(
        `rigor cycle runs ${when} in ${root}; its output goes to the journal (journalctl --user -u ${unitName(job, 'service')}) and to .git/rigor/logs/`,
      )
      this.say(`start the timer with:\n  ${result.next[0]}`)
      this.say(`and, for it to run while you are logged out:\n  ${result.next[1]}`)
    } else if (result.installed) {
      this.say(`installed in your crontab, ${when}:\n  ${result.line}`)
      this.say('its output goes to .git/rigor/logs/')
    } else if (result.dry_run) {
      this.say(`the crontab line would be:\n  ${result.line}`)
    } else {
      this.say(
        `${result.problem}: nothing was installed. Add this line to your crontab (crontab -e) once cron is installed:\n  ${result.line}`,
      )
    }
    return result
  }
}
