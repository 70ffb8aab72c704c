import {Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {assertKnownTeam} from '../core/state/teams.js'
import {renderTable} from '../cli/table.js'
import {withWorkspace, workerName} from '../cli/workspace.js'
import {chooseRankTarget} from '../core/flows/cycle-rank.js'
import {rankNodes, readRankings, type RankResult} from '../core/views/rank.js'
import type {RankingFile} from '../core/schemas/index.js'
import {controlsEscaped} from '../core/validation.js'

export default class Rank extends WorkspaceCommand {
  static override summary = 'Rank accepted nodes, archive the rest (verdicts are never rewritten), and record the ranking.'
  static override description =
    'Objectives: return (total_return), sharpe, drawdown (max_drawdown, lower is better), pareto (the non-dominated set over Sharpe and drawdown).'
  static override examples = [
    '<%= config.bin %> rank --objective sharpe --keep 5',
    '<%= config.bin %> rank --objective pareto',
    '<%= config.bin %> rank --history --json',
  ]
  static override flags = {
    objective: Flags.option({
      options: ['return', 'sharpe', 'drawdown', 'pareto'] as const,
      description:
        "default: what rigor cycle ranks by (cycle.rank in rigor.yaml, else the first metric the gates' accept_when compares that every accepted node reports, else sharpe)",
    })(),
    metric: Flags.string({description: "rank by this verdict metric instead of the objective's own"}),
    keep: numberFlag({integer: true, min: 1})({description: 'keep the best N, archive the rest (default: keep all)'}),
    team: Flags.string({description: 'rank only this team'}),
    by: Flags.string({description: 'who ranks (default: $RIGOR_WORKER or host-pid)'}),
    history: Flags.boolean({description: 'list the recorded rankings, newest first, instead of ranking'}),
  }

  async run(): Promise<RankResult | {history: Array<RankingFile & {file: string}>; unusable: Array<{file: string; problem: string}>}> {
    const {flags} = await this.parse(Rank)
    if (flags.history) {
      const {rankings: history, unusable} = await withWorkspace(flags, (ws) => readRankings(ws))
      // a ranking file is anyone's commit: its metric's name may hold escape sequences
      for (const h of history)
        this.say(
          controlsEscaped(
            `${h.ranked_at}  ${h.objective.padEnd(8)} by ${h.metric}: kept ${h.kept.join(', ') || '-'} (${h.archived.length} archived)`,
          ),
        )
      for (const u of unusable) this.warn(`${u.file}: ${u.problem}; left out of the history (\`rigor verify\` says how to restore it)`)
      // an empty answer would look like a failure to print: say there is none yet, and how one is made
      if (history.length === 0 && unusable.length === 0)
        this.say('no ranking recorded yet: `rigor rank` ranks the accepted nodes and records it')
      return {history, unusable}
    }
    const result = await withWorkspace(flags, async (ws) => {
      assertKnownTeam(ws.config, await ws.currentSnapshot(), flags.team)
      // told neither, it ranks as the cycle does: a program whose nodes report no sharpe is still ranked by what they do
      const target = flags.objective === undefined && flags.metric === undefined ? await chooseRankTarget(ws) : undefined
      return rankNodes(ws, {
        objective: target?.objective ?? flags.objective ?? 'sharpe',
        metric: target?.metric ?? flags.metric,
        higherIsBetter: target?.higherIsBetter,
        keep: flags.keep,
        team: flags.team,
        by: workerName(flags.by, '--by'),
      })
    })
    const r = result.ranking
    for (const s of result.skipped)
      this.warn(`skipped ${s.id}: ${s.file}: ${s.message}; \`rigor verify\` says how to restore it, then rank again`)
    if (result.nothing_to_rank) {
      this.say(`nothing to rank, nothing recorded: ${result.nothing_to_rank.why}\nFix: ${result.nothing_to_rank.fix}`)
      return result
    }
    // ranked by sharpe or max_drawdown, its own column says it: shown twice, two columns headed alike
    const extra = [
      {metric: 'sharpe', head: 'sharpe', cell: (n: RankingFile['ranked'][number]) => n.sharpe?.toFixed(2) ?? '-'},
      {metric: 'max_drawdown', head: 'max drawdown', cell: (n: RankingFile['ranked'][number]) => n.max_drawdown?.toFixed(3) ?? '-'},
    ].filter((column) => column.metric !== r.metric)
    this.say(
      renderTable(
        ['rank', 'node', r.metric, ...extra.map((column) => column.head), 'kept'],
        r.ranked.map((n) => [n.rank, n.id, n.value.toFixed(3), ...extra.map((column) => column.cell(n)), n.kept ? 'yes' : 'archived']),
      ),
    )
    this.say(`recorded ${result.file}`)
    return result
  }
}
