import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace, workerName} from '../../cli/workspace.js'
import {replayRules, type RulesReport} from '../../core/dag/rules.js'
import {someIds} from '../../core/state/ids.js'

export default class RulesReplay extends WorkspaceCommand {
  static override summary = 'Apply the backward rules to the current verdicts and commit the spawns (idempotent).'
  static override examples = ['<%= config.bin %> rules replay']

  async run(): Promise<RulesReport> {
    const {flags} = await this.parse(RulesReplay)
    const report = await withWorkspace(flags, (ws) => replayRules(ws, {write: true, by: workerName(undefined)}))
    this.say(report.spawned.length ? `spawned ${someIds(report.spawned)}` : 'nothing to spawn')
    return report
  }
}
