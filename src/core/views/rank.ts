import {dumpStateDocument, loadStateDocument, utf8Text} from '../state/documents.js'
import {InputError, RigorError} from '../errors.js'
import type {FileChange} from '../git/tree-edit.js'
import {nowIso} from '../state/node-files.js'
import {RankingFile, type NodeFile, type RankObjective} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {transition} from '../dag/lifecycle.js'
import {RANKINGS_DIR} from '../state/layout.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import {problemEntry} from './status.js'
import {byCodeUnits} from '../dag/scheduler.js'

export interface RankOptions {
  objective: RankObjective
  /** rank by this metric instead of the objective's own */
  metric?: string
  /** with `metric`: whether higher is better (default: lower for drawdown, volatility and turnover) */
  higherIsBetter?: boolean
  keep?: number
  team?: string
  by: string
  now?: Date
}

export interface RankResult {
  /** the ranking record committed; null when there was nothing to rank (nothing is committed then) */
  file: string | null
  ranking: Omit<RankingFile, 'checksum'>
  /** accepted nodes left out of the ranking (neither kept nor archived): their verdict file cannot be used */
  skipped: UnreadableVerdict[]
  /** why nothing was ranked (no accepted node with a readable verdict) and what to do; absent when a ranking was recorded */
  nothing_to_rank?: {why: string; fix: string}
  commit?: string
}

/** A node whose verdict file is corrupt or invalid: `rigor verify` names it and how to restore it. */
export interface UnreadableVerdict {
  id: string
  file: string
  /** `corrupt` (checksum mismatch) or `invalid` */
  kind: string
  message: string
}

interface Candidate {
  node: NodeFile
  metrics: Record<string, number>
}

/** The objective's metric and direction: the seed's three personalities, and Pareto over both risk and reward. */
export function objectiveMetric(
  objective: RankObjective,
  metric?: string,
  higherIsBetter?: boolean,
): {metric: string; higherIsBetter: boolean} {
  if (metric) return {metric, higherIsBetter: higherIsBetter ?? !/drawdown|volatility|turnover/.test(metric)}
  if (objective === 'return') return {metric: 'total_return', higherIsBetter: true}
  if (objective === 'drawdown') return {metric: 'max_drawdown', higherIsBetter: false}
  return {metric: 'sharpe', higherIsBetter: true}
}

/** The nodes no other node beats on both Sharpe (higher) and drawdown (lower). */
export function paretoFront<T extends {metrics: Record<string, number>}>(items: T[]): T[] {
  const sharpe = (c: T) => c.metrics.sharpe ?? -Infinity
  const dd = (c: T) => c.metrics.max_drawdown ?? Infinity
  return items.filter(
    (a) => !items.some((b) => b !== a && sharpe(b) >= sharpe(a) && dd(b) <= dd(a) && (sharpe(b) > sharpe(a) || dd(b) < dd(a))),
  )
}

/**
 * Ranks the accepted nodes, keeps the best (or the Pareto set), marks the rest
 * `archived: true` on their node files (verdicts are never rewritten; a kept
 * node is un-archived), and records the ranking under reports/rankings/, in one commit.
 */
export async function rankNodes(ws: Workspace, opts: RankOptions): Promise<RankResult> {
  const now = opts.now ?? new Date()
  const {metric, higherIsBetter} = objectiveMetric(opts.objective, opts.metric, opts.higherIsBetter)
  const outcome = await ws.commit<RankResult>(async (snap) => {
    const candidates: Candidate[] = []
    const skipped: UnreadableVerdict[] = []
    for (const record of snap.nodes.values()) {
      const node = record.node
      if (!node || node.sweep || node.status !== 'proven_accepted') continue
      if (opts.team && node.team !== opts.team) continue
      // a verdict edited by hand is left out, as status, report, the site and metrics leave it out, not the whole ranking
      const problem = await ws.store.verdictProblem(record)
      if (problem) {
        skipped.push({id: node.id, ...problemEntry(problem)})
        continue
      }
      const verdict = await ws.store.verdict(record)
      if (verdict) candidates.push({node, metrics: verdict.metrics})
    }
    if (opts.objective !== 'pareto' && candidates.some((c) => typeof c.metrics[metric] !== 'number')) {
      const missing = candidates.find((c) => typeof c.metrics[metric] !== 'number')!
      throw new InputError(`node ${missing.node.id} has no metric "${metric}"`, {
        field: '--metric',
        fix: 'rank by a metric every accepted node reports, e.g. sharpe',
      })
    }
    const value = (c: Candidate) => c.metrics[metric] ?? 0
    // ties by id in code-unit order, not localeCompare (which orders differently from one locale to another): the
    // same ranking, and the same nodes kept, on every machine, as the site's leaderboard shows it
    const ordered = [...candidates].sort(
      (a, b) => (higherIsBetter ? value(b) - value(a) : value(a) - value(b)) || byCodeUnits(a.node.id, b.node.id),
    )
    const keptSet = new Set(
      (opts.objective === 'pareto' ? paretoFront(ordered) : ordered.slice(0, opts.keep ?? ordered.length)).map((c) => c.node.id),
    )
    const files = new Map<string, FileChange>()
    const archived: string[] = []
    for (const c of ordered) {
      const keep = keptSet.has(c.node.id)
      if (!keep) archived.push(c.node.id)
      if (Boolean(c.node.archived) !== !keep) {
        const [path, text] = transition(c.node, {kind: keep ? 'unarchive' : 'archive'})
        files.set(path, text)
      }
    }
    const ranking: Omit<RankingFile, 'checksum'> = {
      objective: opts.objective,
      metric,
      keep: opts.keep ?? null,
      team: opts.team ?? null,
      ranked_at: nowIso(now),
      by: opts.by,
      ranked: ordered.map((c, i) => ({
        rank: i + 1,
        id: c.node.id,
        value: value(c),
        sharpe: c.metrics.sharpe ?? null,
        max_drawdown: c.metrics.max_drawdown ?? null,
        total_return: c.metrics.total_return ?? null,
        kept: keptSet.has(c.node.id),
      })),
      kept: ordered.filter((c) => keptSet.has(c.node.id)).map((c) => c.node.id),
      archived,
    }
    // an empty record would say nothing, and each cycle on a new program would commit one
    if (ordered.length === 0) return {result: {file: null, ranking, skipped, nothing_to_rank: nothingToRank(opts.team, skipped)}}
    const file = `${RANKINGS_DIR}/${nowIso(now).replace(/[:.]/g, '-')}-${opts.objective}.yaml`
    files.set(file, dumpStateDocument(ranking))
    return {
      files,
      message: {
        action: 'rank',
        subject: `rank by ${metric} (${opts.objective}): kept ${ranking.kept.length}, archived ${archived.length}`,
        nodes: ranking.kept,
        worker: opts.by,
      },
      result: {file, ranking, skipped},
    }
  })
  return {...outcome.result, commit: outcome.commit}
}

/** Why a ranking found no node to rank, and what to do about it. */
function nothingToRank(team: string | undefined, skipped: readonly UnreadableVerdict[]): {why: string; fix: string} {
  const scope = team === undefined ? '' : ` of team ${team}`
  if (skipped.length > 0)
    return {
      why: `no accepted node${scope} has a verdict file rigor can use (${skipped.length} left out)`,
      fix: 'restore those verdict files (`rigor verify` says how), then rank again',
    }
  return {
    why: `no node${scope} is accepted yet`,
    fix: 'run the pending nodes (`rigor work`) and rank once a gate accepts one; `rigor status` shows where the nodes stand',
  }
}

/** The ranking records, newest first; a record that cannot be used (corrupt, invalid) is left out and named under `unusable`. */
export async function readRankings(
  ws: Workspace,
): Promise<{rankings: Array<RankingFile & {file: string}>; unusable: Array<{file: string; problem: string}>}> {
  const tip = await ws.readTip()
  if (!tip) return {rankings: [], unusable: []}
  const files = (await listTreeFiles(ws.repo, await ws.repo.commitTree(tip), RANKINGS_DIR))
    .filter((f) => f.path.endsWith('.yaml'))
    .reverse()
  const blobs = await readBlobs(
    ws.repo,
    files.map((f) => f.oid),
  )
  const rankings: Array<RankingFile & {file: string}> = []
  const unusable: Array<{file: string; problem: string}> = []
  files.forEach((f, i) => {
    try {
      rankings.push({...loadStateDocument(RankingFile, utf8Text(blobs[i]!, f.path), f.path), file: f.path})
    } catch (err) {
      if (!(err instanceof RigorError)) throw err
      unusable.push({file: f.path, problem: err.message.startsWith(`${f.path}: `) ? err.message.slice(f.path.length + 2) : err.message})
    }
  })
  return {rankings, unusable}
}

/** Every usable ranking record, newest first (readRankings also names the ones left out). */
export async function rankingHistory(ws: Workspace): Promise<Array<RankingFile & {file: string}>> {
  return (await readRankings(ws)).rankings
}
