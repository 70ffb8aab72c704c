import {Args} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {withWorkspace} from '../cli/workspace.js'
import {dumpYaml} from '../core/state/documents.js'
import {holdoutOpeningsOf} from '../core/auditor/holdout.js'
import {showNode, type NodeDetails} from '../core/views/show.js'
import {locallyModifiedStateFiles} from '../core/views/local-edits.js'
import {nodeFilePath, outDirPath, verdictFilePath} from '../core/state/layout.js'
import {linesEscaped} from '../core/validation.js'
import {someIds} from '../core/state/ids.js'

/** how much of a failed run's run.log `show` prints: its end, where a traceback ends */
const RUN_LOG_LINES_SHOWN = 10

export default class Show extends WorkspaceCommand {
  static override summary = 'One node with its lineage, verdict and audits.'
  static override examples = ['<%= config.bin %> show loss/sharpe-pf', '<%= config.bin %> show loss/sharpe-pf --json']
  static override args = {id: Args.string({description: 'node id', required: true})}

  async run(): Promise<NodeDetails & {holdout?: Awaited<ReturnType<typeof holdoutOpeningsOf>>}> {
    const {args, flags} = await this.parse(Show)
    return withWorkspace(flags, async (ws) => {
      const shown = await showNode(ws, args.id)
      const edited = new Set([nodeFilePath(args.id), verdictFilePath(args.id)])
      for (const path of await locallyModifiedStateFiles(ws, {paths: [...edited], untracked: false}))
        if (edited.has(path))
          this.warn(`${path} has uncommitted edits: shown as committed (run \`rigor verify\`; commit or restore the file)`)
      const holdout = ws.config.holdout ? await holdoutOpeningsOf(ws, args.id) : undefined
      const details = holdout ? {...shown, holdout} : shown
      if (!this.jsonEnabled()) {
        // params, notes, metric names and reasons are what an agent or a runner wrote: the YAML dump escapes C0 controls only
        const log = (text: string) => this.log(linesEscaped(text))
        const {
          verdict,
          audits,
          lineage,
          children,
          stale,
          read_by,
          problems,
          holdout: _holdout,
          ...node
        } = details as typeof details & {holdout?: unknown}
        // a sweep group holds its variants and never runs: its status is no state of a run
        const what = node.sweep ? `sweep group of ${children.length} variants` : node.status
        log(`# ${node.id}  (${what}${node.archived ? ', archived' : ''}${problems.length ? ', verdict unreadable' : ''})`)
        if (lineage.length) log(`lineage: ${[...lineage, node.id].join(' -> ')}`)
        // a root of thousands of nodes: the first few, and how many (--json lists them all)
        if (children.length) log(`children: ${someIds(children)}`)
        for (const input of node.inputs ?? []) log(`input ${input.as}: ${input.files.join(', ')} from ${input.from}`)
        if (read_by.length) log(`read by: ${someIds(read_by)}`)
        for (const s of stale) this.warn(`STALE: input ${s.as}: ${s.why}; run it again with \`rigor rerun ${node.id}\``)
        log(dumpYaml(node).trimEnd())
        log(
          verdict
            ? `\n## verdict\n${dumpYaml(verdict).trimEnd()}`
            : problems.length
              ? `\n## verdict\n${problems.map((p) => `cannot be read: ${p.file}: ${p.message}\nFix: ${p.fix}`).join('\n')}`
              : node.sweep
                ? '\n(a sweep group never runs: its variants do)'
                : node.status === 'cancelled' || node.status === 'blocked'
                  ? // no verdict is coming, but from the worker of a cancelled run (the cancel keeps who held it)
                    `\n(no verdict: ${node.worker ? `cancelled while ${node.worker} held it; a run still going records the cancel` : `it was ${node.status} before it ran`})`
                  : '\n(no verdict yet)',
        )
        // "exited with code 2" says nothing of why: the runner's own last words are in its committed run.log
        if (verdict?.decided_by === 'failure' && verdict.artifacts['out/run.log'] !== undefined) {
          const path = `${outDirPath(node.id)}/run.log`
          const tip = await ws.readTip()
          const text = tip ? (await ws.repo.readFileAt(tip, path))?.toString('utf8').trimEnd() : undefined
          if (text) {
            const lines = text.split('\n').slice(-RUN_LOG_LINES_SHOWN)
            log(`\n## run.log (the last ${lines.length} line(s) of ${path})\n${lines.join('\n')}`)
          }
        }
        if (audits.length) log(`\n## audits\n${dumpYaml(audits).trimEnd()}`)
        if (holdout) {
          // an unreadable record counts as an opening, as the audit counts it
          const n = holdout.openings.length + holdout.unreadable.length
          log(
            `\n## sealed holdout (family: ${holdout.family})\n${n === 0 ? 'never opened' : `opened ${n} time(s)${n > 1 ? ': it is no longer a clean holdout' : ''}`}`,
          )
          if (holdout.unreadable.length)
            log(
              `  ${holdout.unreadable.length} record(s) cannot be read and count as openings: ${holdout.unreadable.join(', ')} (\`rigor verify\` says how to restore them)`,
            )
          for (const o of holdout.openings)
            log(
              `  ${o.opened_at} by ${o.by} for ${o.node}: ${o.passed ? 'passed' : 'failed'}, Sharpe ${o.sharpe.toFixed(2)}${o.sealed ? '' : ' (not sealed: research ran without the sandbox)'}`,
            )
        }
      }
      return details
    })
  }
}
