import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {writeDailyReport, type DailyReport} from '../core/views/report.js'
import {policies} from '../core/flows/policies.js'

export default class Report extends WorkspaceCommand {
  static override summary = 'Write the daily report: reports/<date>.md (with a mermaid lineage graph) and reports/<date>.json.'
  static override examples = ['<%= config.bin %> report', '<%= config.bin %> report --date 2026-11-21 --json']
  static override flags = {
    date: Flags.string({description: 'the UTC day, YYYY-MM-DD (default: today)'}),
    by: Flags.string({description: 'who reports (default: $RIGOR_WORKER or host-pid)'}),
  }

  async run(): Promise<{report: DailyReport; files: string[]}> {
    const {flags} = await this.parse(Report)
    const result = await withWorkspace(flags, (ws) =>
      writeDailyReport(ws, {auditStats: policies.auditStats, date: flags.date, by: workerName(flags.by, '--by')}),
    )
    const a = result.report.activity
    this.say(
      `${result.report.date}: ${a.run} run (${a.accepted} accepted, ${a.rejected} rejected), health ${result.report.health_score}/100 -> ${result.files.join(', ')}`,
    )
    return {report: result.report, files: result.files}
  }
}
