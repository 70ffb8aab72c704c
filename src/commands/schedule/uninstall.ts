import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {uninstallSchedule, type UninstallResult} from '../../core/schedule/install.js'
import {schedulePrograms} from '../../core/schedule/programs.js'

export default class ScheduleUninstall extends WorkspaceCommand {
  static override summary = "Remove this workspace's schedule: its systemd units and its crontab line (or only one of them)."
  static override examples = ['<%= config.bin %> schedule uninstall', '<%= config.bin %> schedule uninstall --cron']
  static override flags = {
    systemd: Flags.boolean({description: 'remove only the systemd units', exclusive: ['cron']}),
    cron: Flags.boolean({description: 'remove only the crontab line', exclusive: ['systemd']}),
  }

  async run(): Promise<UninstallResult> {
    const {flags} = await this.parse(ScheduleUninstall)
    const kinds = flags.systemd ? (['systemd'] as const) : flags.cron ? (['cron'] as const) : (['systemd', 'cron'] as const)
    const root = await withWorkspace(flags, async (ws) => ws.root)
    const result = await uninstallSchedule(root, kinds, {env: process.env, programs: schedulePrograms(process.env)})
    for (const file of result.removed_files) this.say(`removed ${file}`)
    if (result.removed_line) this.say('removed the crontab line')
    if (result.removed_files.length === 0 && !result.removed_line)
      this.say(result.problem ? `no systemd units of ${root} were installed` : `no schedule of ${root} was installed`)
    for (const command of result.next) this.say(`then run:\n  ${command}`)
    if (result.problem) this.warn(`no crontab line was looked for: ${result.problem}`)
    return result
  }
}
