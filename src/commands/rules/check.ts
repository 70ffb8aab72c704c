import {WorkspaceCommand} from '../../cli/base.js'
import {withWorkspace} from '../../cli/workspace.js'
import {replayRules, type RulesReport} from '../../core/dag/rules.js'

export default class RulesCheck extends WorkspaceCommand {
  static override summary =
    'Show what the backward rules would spawn from the current verdicts, and why each skipped spawn is skipped. Writes nothing.'
  static override examples = ['<%= config.bin %> rules check', '<%= config.bin %> rules check --json']

  async run(): Promise<RulesReport> {
    const {flags} = await this.parse(RulesCheck)
    const report = await withWorkspace(flags, (ws) => replayRules(ws, {write: false}))
    for (const d of report.decisions)
      this.say(`${d.skipped ? 'skip ' : 'spawn'} ${d.id}  <- ${d.from} by rule ${d.rule}${d.skipped ? `: ${d.skipped}` : ''}`)
    this.say(`${report.spawned.length} spawn(s) would be made; ${report.decisions.length - report.spawned.length} skipped`)
    return report
  }
}
