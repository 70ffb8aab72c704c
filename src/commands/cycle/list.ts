import {WorkspaceCommand} from '../../cli/base.js'
import {cycleListTable} from '../../cli/cycle-summary.js'
import {numberFlag} from '../../cli/flags.js'
import {withWorkspace} from '../../cli/workspace.js'
import {cycleWorker} from '../../core/flows/cycle.js'
import {listCycles, type CycleListing} from '../../core/flows/cycle-records.js'

export default class CycleList extends WorkspaceCommand {
  static override summary = "This checkout's cycles, newest first: id, start, each step's outcome, the cycle's outcome and cost."
  static override description =
    'Read from the records under .git/rigor/ (cycle.json for the cycle in progress, cycles/<id>.json for finished ones). A cycle whose process is gone shows as interrupted: the next `rigor cycle` resumes it.'
  static override examples = ['<%= config.bin %> cycle list', '<%= config.bin %> cycle list --limit 5 --json']
  static override flags = {
    limit: numberFlag({integer: true, min: 1})({description: 'show at most this many', default: 20}),
  }

  async run(): Promise<{cycles: CycleListing[]; problems: Array<{file: string; message: string}>}> {
    const {flags} = await this.parse(CycleList)
    const listed = await withWorkspace(flags, (ws) => listCycles(ws, {worker: cycleWorker(ws.repo.paths.gitDir), limit: flags.limit}))
    for (const p of listed.problems) this.warn(`${p.file}: ${p.message}`)
    this.say(listed.cycles.length ? cycleListTable(listed.cycles) : 'no cycles recorded in this checkout')
    return listed
  }
}
