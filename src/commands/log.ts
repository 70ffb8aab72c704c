import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {withWorkspace} from '../cli/workspace.js'
import {readActivityLog, type LogEntry} from '../core/views/log.js'
import {RIGOR_ACTIONS} from '../core/state/commit-message.js'
import {controlsEscaped, unknownNodeHint} from '../core/validation.js'

export default class Log extends WorkspaceCommand {
  static override summary = 'The activity log, read from the Rigor-* trailers of the state commits (--json: JSON lines).'
  static override examples = ['<%= config.bin %> log -n 20', '<%= config.bin %> log --node loss/sharpe-pf --json']
  static override flags = {
    limit: numberFlag({integer: true, min: 1})({char: 'n', description: 'at most this many entries'}),
    node: Flags.string({description: 'only entries about this node'}),
    action: Flags.option({options: RIGOR_ACTIONS, description: 'only this action'})(),
    worker: Flags.string({description: 'only this worker'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Log)
    const {entries, unknown} = await withWorkspace(flags, async (ws) => {
      const entries: LogEntry[] = await readActivityLog(ws, {
        limit: flags.limit,
        node: flags.node,
        action: flags.action,
        worker: flags.worker,
      })
      // nothing about a node the branch never had: a mistyped id, most likely
      const snap = flags.node && entries.length === 0 ? await ws.currentSnapshot() : undefined
      const unknown = snap && !snap.nodes.has(flags.node!) ? unknownNodeHint(flags.node!, snap.nodes.keys()) : undefined
      return {entries, unknown}
    })
    if (unknown) this.warn(`no node ${flags.node} on the branch; ${unknown}`)
    if (this.jsonEnabled()) {
      // JSON lines: one object per commit, so `rigor log --json | jq` streams
      process.stdout.write(entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : ''))
      return
    }
    // a subject and trailers are anyone's (a hand commit on the branch may name any Rigor-Action): no escape sequence of theirs reaches the terminal
    for (const e of entries) {
      const worker = e.worker ? `  [${controlsEscaped(e.worker)}]` : ''
      this.log(`${e.time}  ${e.commit.slice(0, 10)}  ${controlsEscaped(e.action).padEnd(8)} ${controlsEscaped(e.subject)}${worker}`)
    }
  }
}
