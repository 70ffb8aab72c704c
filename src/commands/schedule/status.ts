import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {scheduleStatus, type ScheduleStatus} from '../../core/schedule/install.js'
import {schedulePrograms} from '../../core/schedule/programs.js'

export default class ScheduleStatusCommand extends WorkspaceCommand {
  static override summary =
    "This workspace's schedule: the systemd units and when the timer runs next, the crontab line, and how the last scheduled cycle ended."
  static override examples = ['<%= config.bin %> schedule status', '<%= config.bin %> schedule status --json']

  async run(): Promise<ScheduleStatus> {
    const {flags} = await this.parse(ScheduleStatusCommand)
    const status = await withWorkspace(flags, (ws) =>
      scheduleStatus(ws.root, ws.repo.paths.gitDir, {env: process.env, programs: schedulePrograms(process.env)}),
    )
    const {systemd, cron, last_run: last} = status
    if (systemd.timer.present || systemd.service.present) {
      this.say(
        `systemd: ${systemd.service.present ? systemd.service.file : 'service missing'}, ${systemd.timer.present ? systemd.timer.file : 'timer missing'}`,
      )
      if (systemd.timer.on_calendar) this.say(`  runs: OnCalendar=${systemd.timer.on_calendar}`)
      const state = systemd.state
      if (state?.available)
        this.say(
          `  timer: ${state.enabled ?? 'unknown'}, ${state.active ?? 'unknown'}; next run ${state.next_run ?? 'none'}; last ${state.last_run ?? 'never'}`,
        )
      else if (state) this.say(`  timer state unknown: ${state.problem}`)
    } else this.say('systemd: not installed')
    if (cron.problem) this.say(`cron: the crontab cannot be read: ${cron.problem}`)
    else if (!cron.available) this.say('cron: no crontab program on this machine')
    else if (cron.line) this.say(`cron: ${cron.line}`)
    else this.say(cron.disabled_line ? `cron: not installed (its line is commented out: ${cron.disabled_line})` : 'cron: not installed')
    this.say(
      last
        ? `last scheduled cycle: ${last.outcome}${last.exit_code === null ? '' : ` (exit ${last.exit_code})`}, ${last.started_at} to ${last.finished_at}; log ${last.log}`
        : 'last scheduled cycle: none yet',
    )
    return status
  }
}
