import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {renderTable} from '../cli/table.js'
import {sharedState, withWorkspace} from '../cli/workspace.js'
import {NODE_STATUSES} from '../core/schemas/statuses.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {CONFIG_DRAFT_WARNING, configDraftDiffers, configDraftWarning} from '../core/state/state-branch.js'
import {statusWithVerdicts, type StatusSummary} from '../core/views/status.js'
import {staleNodeReasons} from '../core/dag/inputs.js'
import {IDS_NAMED_AT_MOST} from '../core/state/ids.js'
import {classifyStatePath} from '../core/state/layout.js'
import {locallyModifiedStateFiles} from '../core/views/local-edits.js'

export default class Status extends WorkspaceCommand {
  static override summary = 'Node counts by status and by team.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']
  static override flags = {team: Flags.string({description: 'only this team'})}

  async run(): Promise<StatusSummary & {config_draft: boolean; local_edits: string[]; stale: Array<{id: string; why: string}>}> {
    const {flags} = await this.parse(Status)
    return withWorkspace(flags, async (ws) => {
      // git compares the working tree (a stat of every state file) while the snapshot is read: 40-50 ms at 10,000
      // nodes, out of sight on a second core; the rejection is taken when awaited
      const localEdits = locallyModifiedStateFiles(ws, {untracked: false})
      localEdits.catch(() => {})
      const snap = await ws.currentSnapshot()
      assertKnownTeam(ws.config, snap, flags.team)
      const [stale, counts, configDraft, edited] = await Promise.all([
        staleNodeReasons(ws, snap),
        statusWithVerdicts(ws, snap, {team: flags.team}),
        configDraftDiffers(ws.repo, snap.commit),
        localEdits,
      ])
      const summary = {
        ...counts,
        config_draft: configDraft,
        local_edits: edited,
        stale: stale.filter(({id}) => !flags.team || snap.nodes.get(id)?.node?.team === flags.team),
      }
      if (!this.jsonEnabled()) {
        const teams = Object.keys(summary.by_team).sort()
        const rows = teams.map((t) => [t, ...NODE_STATUSES.map((s) => summary.by_team[t]![s] ?? 0)])
        rows.push(['all', ...NODE_STATUSES.map((s) => summary.by_status[s])])
        this.log(renderTable(['team', ...NODE_STATUSES], rows))
        this.log(
          `${summary.total} node(s)${summary.sweeps ? `, ${summary.sweeps} sweep group(s)` : ''}${summary.archived ? `, ${summary.archived} archived` : ''}`,
        )
        if (summary.config_draft) this.warn((await configDraftWarning(ws.repo, snap.commit, sharedState(ws))) ?? CONFIG_DRAFT_WARNING)
        // as for stale nodes: a sed over experiments/ edits or breaks thousands of files, and a line each fills the terminal
        for (const path of summary.local_edits.slice(0, IDS_NAMED_AT_MOST)) {
          const hit = classifyStatePath(path)
          this.warn(
            `${path} has uncommitted edits: status counts the committed version${hit?.kind === 'node' ? `, and node ${hit.id} is not claimed from this checkout` : ''} (run \`rigor verify\`; commit or restore the file)`,
          )
        }
        if (summary.local_edits.length > IDS_NAMED_AT_MOST)
          this.warn(
            `... and ${summary.local_edits.length - IDS_NAMED_AT_MOST} more state file(s) with uncommitted edits: \`rigor status --json\` lists them all (local_edits)`,
          )
        // one line a node up to a point: a retrained stage that a sweep of thousands reads would fill the terminal
        for (const s of summary.stale.slice(0, IDS_NAMED_AT_MOST))
          this.warn(`stale: ${s.id} (${s.why}); run it again with \`rigor rerun ${s.id}\``)
        if (summary.stale.length > IDS_NAMED_AT_MOST)
          this.warn(
            `... and ${summary.stale.length - IDS_NAMED_AT_MOST} more stale node(s): \`rigor status --json\` lists them all (stale)`,
          )
        for (const p of summary.problems.slice(0, IDS_NAMED_AT_MOST))
          this.warn(p.message.startsWith(p.file) ? p.message : `${p.file}: ${p.message}`)
        if (summary.problems.length)
          this.warn(
            `${summary.problems.length} state file(s) cannot be used${summary.problems.length > IDS_NAMED_AT_MOST ? ` (the first ${IDS_NAMED_AT_MOST} named above, \`rigor status --json\` lists them all)` : ''}: their nodes are never claimed, run, audited or deployed; \`rigor verify\` lists them and how to restore them`,
          )
      }
      return summary
    })
  }
}
