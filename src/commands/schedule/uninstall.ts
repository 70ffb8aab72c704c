import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {InputError} from '../../core/errors.js'
import {uninstallSchedule, type UninstallResult} from '../../core/schedule/install.js'
import {schedulePrograms} from '../../core/schedule/programs.js'
import {scheduleIdProblem} from '../../core/validation.js'

export default class ScheduleUninstall extends WorkspaceCommand {
  static override summary = "Remove this workspace's schedule: its systemd units and its crontab line (or only one of them)."
  static override description =
    'With --id, the schedule of that id instead, without a workspace: one left by a workspace moved or deleted since (its units are named rigor-cycle-<id>, its crontab line ends in # rigor-schedule:<id> <path>).'
  static override examples = [
    '<%= config.bin %> schedule uninstall',
    '<%= config.bin %> schedule uninstall --cron',
    '<%= config.bin %> schedule uninstall --id my-lab-1a2b3c4d',
  ]
  static override flags = {
    systemd: Flags.boolean({description: 'remove only the systemd units', exclusive: ['cron']}),
    cron: Flags.boolean({description: 'remove only the crontab line', exclusive: ['systemd']}),
    id: Flags.string({description: "the schedule of this id (another path's, e.g. where this workspace was before it moved)"}),
  }

  async run(): Promise<UninstallResult> {
    const {flags} = await this.parse(ScheduleUninstall)
    const kinds = flags.systemd ? (['systemd'] as const) : flags.cron ? (['cron'] as const) : (['systemd', 'cron'] as const)
    if (flags.id !== undefined) {
      const problem = scheduleIdProblem(flags.id)
      if (problem)
        throw new InputError(problem, {
          field: '--id',
          fix: '`ls ~/.config/systemd/user/rigor-cycle-*` and `crontab -l | grep rigor-schedule:` show the ids installed',
        })
    }
    const workspace = flags.id !== undefined ? {id: flags.id} : {root: await withWorkspace(flags, async (ws) => ws.root)}
    const which = 'id' in workspace ? workspace.id : `of ${workspace.root}`
    const result = await uninstallSchedule(workspace, kinds, {env: process.env, programs: schedulePrograms(process.env)})
    for (const file of result.removed_files) this.say(`removed ${file}`)
    if (result.removed_line) this.say('removed the crontab line')
    if (result.removed_files.length === 0 && !result.removed_line)
      this.say(result.problem ? `no systemd units ${which} were installed` : `no schedule ${which} was installed`)
    for (const command of result.next) this.say(`then run:\n  ${command}`)
    if (result.problem) this.warn(`no crontab line was looked for: ${result.problem}`)
    return result
  }
}
