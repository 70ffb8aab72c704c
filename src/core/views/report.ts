import {budgetState, utcDay} from '../dag/budget.js'
import {documentChecksum} from '../state/checksum.js'
import {renderMarkdownDocument} from '../state/documents.js'
import {markdownText} from '../state/markdown-text.js'
import {InputError} from '../errors.js'
import {utcDateProblem} from '../validation.js'
import {MERMAID_LIMITS, mermaidFits, renderGraph, type GraphNode} from './graph.js'
import {readActivityLog, type LogEntry} from './log.js'
import {objectiveMetric} from './rank.js'
import {healthCheck, type AuditStats, type HealthReport} from '../dag/supervise.js'
import {readNodeAudits} from '../auditor/reports.js'
import {readDeployment} from '../deploy/records.js'
import type {DeployStage} from '../schemas/index.js'
import {listTreeFiles} from '../state/tree-files.js'
import type {Workspace} from '../state/workspace.js'

export interface DayActivity {
  seeded: number
  run: number
  accepted: number
  rejected: number
  inconclusive: number
  archived: number
  audited: number
  deployed: number
}

export interface DailyReport {
  date: string
  generated_at: string
  activity: DayActivity
  top: Record<'return' | 'sharpe' | 'drawdown', Array<{id: string; team: string; value: number}>>
  trend: Array<{date: string} & DayActivity>
  budget: {spent_usd: number; daily_usd: number | null}
  audit_backlog: number
  failed_audit_rate: number | null
  stuck: number
  health_score: number
  health_formula: string
  /** active deployments, with the audit each stands on and its sealed-holdout result */
  deployments: Array<{node: string; stage: string; deployed_at: string; audit: string; signed_by: string | null; holdout: string | null}>
}

export const HEALTH_FORMULA =
  "100 - 30 x (share of the day's runs that ended inconclusive) - 25 x (failed-audit rate) - 25 x min(1, audit backlog / 10) - 20 x (1 if any lease is stuck)"

/** 0-100: how much of the day's work can be trusted and acted on. */
export function healthScore(activity: DayActivity, health: Pick<HealthReport, 'audit_backlog' | 'failed_audit_rate' | 'stuck'>): number {
  const inconclusiveShare = activity.run > 0 ? activity.inconclusive / activity.run : 0
  const score =
    100 -
    30 * inconclusiveShare -
    25 * (health.failed_audit_rate ?? 0) -
    25 * Math.min(1, health.audit_backlog / 10) -
    20 * (health.stuck.length > 0 ? 1 : 0)
  return Math.max(0, Math.round(score))
}

/** What the state commits of one UTC day did, read from their Rigor-* trailers. */
export function activityOf(entries: LogEntry[], day: string): DayActivity {
  const activity: DayActivity = {seeded: 0, run: 0, accepted: 0, rejected: 0, inconclusive: 0, archived: 0, audited: 0, deployed: 0}
  for (const e of entries) {
    if (utcDay(new Date(e.time)) !== day) continue
    if (e.action === 'seed' || e.action === 'design') activity.seeded += e.nodes.length
    else if (e.action === 'verdict') {
      activity.run++
      const status = e.trailers.status
      if (status === 'proven_accepted') activity.accepted++
      else if (status === 'proven_rejected') activity.rejected++
      else if (status === 'inconclusive') activity.inconclusive++
    } else if (e.action === 'rank') activity.archived += Number(/archived (\d+)/.exec(e.subject)?.[1] ?? 0)
    else if (e.action === 'audit') activity.audited++
    else if (e.action === 'deploy') activity.deployed++
  }
  return activity
}

/**
 * The daily report: reports/<date>.md (readable, with a mermaid graph of the
 * day's lineage) and reports/<date>.json (the same numbers), in one commit;
 * running it again for the same date replaces both.
 */
export async function writeDailyReport(
  ws: Workspace,
  opts: {date?: string; by: string; now?: Date; auditStats: AuditStats},
): Promise<{report: DailyReport; files: string[]; commit?: string}> {
  const now = opts.now ?? new Date()
  const date = opts.date ?? utcDay(now)
  const dateProblem = utcDateProblem(date)
  if (dateProblem) throw new InputError(dateProblem, {field: '--date', fix: 'write the UTC date as YYYY-MM-DD'})
  if (date > utcDay(now))
    throw new InputError(`"${date}" is after today (${utcDay(now)}, UTC): a day that has not come has nothing to report`, {
      field: '--date',
      fix: 'leave --date out for today, or pass a day before it',
    })
  await assertHistoryCovers(ws, trendStart(date))
  const entries = await readActivityLog(ws)
  const health = await healthCheck(ws, opts.auditStats, now)
  const outcome = await ws.commit(async (snap) => {
    const accepted: Array<{id: string; team: string; metrics: Record<string, number>}> = []
    const graphNodes: GraphNode[] = []
    const touched = new Set(entries.filter((e) => utcDay(new Date(e.time)) === date).flatMap((e) => e.nodes))
    for (const record of snap.nodes.values()) {
      if (!record.node) continue
      const verdict = record.verdictOid ? await ws.store.verdict(record).catch(() => undefined) : undefined
      // the leaderboard is what ranking kept: archived nodes are out of it
      if (record.node.status === 'proven_accepted' && verdict && !record.node.sweep && !record.node.archived)
        accepted.push({id: record.id, team: record.node.team, metrics: verdict.metrics})
      if (touched.has(record.id)) graphNodes.push({...record.node, metrics: verdict?.metrics})
    }
    // a touched variant's sweep group is drawn too, so the variants fold into it
    for (const parent of new Set(graphNodes.map((n) => n.parent).filter((p): p is string => p !== undefined))) {
      const group = snap.nodes.get(parent)?.node
      if (group?.sweep && !graphNodes.some((n) => n.id === parent)) graphNodes.push({...group})
    }
    const top = Object.fromEntries(
      (['return', 'sharpe', 'drawdown'] as const).map((objective) => {
        const {metric, higherIsBetter} = objectiveMetric(objective)
        const ranked = accepted
          .filter((a) => typeof a.metrics[metric] === 'number')
          .sort((a, b) => (higherIsBetter ? b.metrics[metric]! - a.metrics[metric]! : a.metrics[metric]! - b.metrics[metric]!))
          .slice(0, 5)
          .map((a) => ({id: a.id, team: a.team, value: a.metrics[metric]!}))
        return [objective, ranked]
      }),
    ) as DailyReport['top']
    const trend = Array.from({length: TREND_DAYS}, (_, i) => {
      const day = utcDay(new Date(Date.parse(`${date}T00:00:00Z`) - (TREND_DAYS - 1 - i) * DAY_MS))
      return {date: day, ...activityOf(entries, day)}
    })
    const activity = activityOf(entries, date)
    const deployments = await activeDeployments(ws, snap.tree)
    const budget = await budgetState(ws, snap, new Date(`${date}T12:00:00Z`))
    const report: DailyReport = {
      date,
      generated_at: now.toISOString(),
      activity,
      top,
      trend,
      budget: {spent_usd: budget.spent_usd, daily_usd: budget.daily_usd},
      audit_backlog: health.audit_backlog,
      failed_audit_rate: health.failed_audit_rate,
      stuck: health.stuck.length,
      health_score: healthScore(activity, health),
      health_formula: HEALTH_FORMULA,
      deployments,
    }
    const graph = graphNodes.length ? renderGraph(graphNodes, {format: 'mermaid', collapseSweeps: true}) : ''
    const md = renderMarkdownDocument(
      {date, health_score: report.health_score, activity},
      reportMarkdown(report, lineage(graph, graphNodes.length)),
    )
    const json = JSON.stringify({...report, checksum: documentChecksum(report as unknown as Record<string, unknown>)}, null, 2) + '\n'
    const files = new Map<string, string>([
      [`reports/${date}.md`, md],
      [`reports/${date}.json`, json],
    ])
    return {
      files,
      message: {action: 'report', subject: `daily report ${date}`, worker: opts.by},
      result: {report, files: [...files.keys()]},
    }
  })
  return {...outcome.result, commit: outcome.commit}
}

const TREND_DAYS = 7
const DAY_MS = 86_400_000
/** The first instant the report counts: the start of the oldest day of its trend. */
const trendStart = (date: string): Date => new Date(Date.parse(`${date}T00:00:00Z`) - (TREND_DAYS - 1) * DAY_MS)

/**
 * Refuses a report whose days reach back past where a shallow clone's history is cut (git clone --depth,
 * actions/checkout's default): it counts the day's work from the commits, and would commit the share of it the clone
 * holds (seeded 0, run 0) as the day's numbers.
 */
async function assertHistoryCovers(ws: Workspace, from: Date): Promise<void> {
  const cut = [...(await ws.repo.shallowBoundary())]
  if (cut.length === 0) return
  const log = await ws.repo.git(['log', '--no-walk', '--format=%H %ct', ...cut], {allowFailure: true})
  for (const line of log.stdout.split('\n').filter(Boolean)) {
    const [commit, seconds] = line.split(' ')
    if (Number(seconds) * 1000 < from.getTime()) continue
    throw new InputError(
      `this clone is shallow: its history is cut at ${commit!.slice(0, 10)} (${new Date(Number(seconds) * 1000).toISOString()}), within the days the report counts from ${from.toISOString().slice(0, 10)}: the counts would miss what came before`,
      {fix: 'fetch the whole history: git fetch --unshallow (on GitHub Actions: actions/checkout with fetch-depth: 0)'},
    )
  }
}

/** The day's lineage as a mermaid block, or why it is not drawn: GitHub shows an error in place of a diagram over mermaid's limits. */
function lineage(graph: string, nodes: number): string {
  if (!graph) return 'Nothing was created or finished this day.'
  if (mermaidFits(graph)) return `\`\`\`mermaid\n${graph.trimEnd()}\n\`\`\``
  return (
    `The day's lineage (${nodes} nodes) is more than GitHub draws in one diagram ` +
    `(${MERMAID_LIMITS.characters.toLocaleString('en-US')} characters and ${MERMAID_LIMITS.edges} edges of mermaid): ` +
    '`rigor graph --root <id> --markdown` draws one lineage, and the DAG page of `rigor site` draws them all.'
  )
}

function reportMarkdown(r: DailyReport, lineageText: string): string {
  const a = r.activity
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(0)}%`)
  const lines = [
    `# rigor daily report, ${r.date}`,
    '',
    `Health score **${r.health_score}/100** = ${r.health_formula}.`,
    '',
    '## Activity',
    '',
    '| seeded | run | accepted | rejected | inconclusive | archived | audited | deployed |',
    '|---|---|---|---|---|---|---|---|',
    `| ${a.seeded} | ${a.run} | ${a.accepted} | ${a.rejected} | ${a.inconclusive} | ${a.archived} | ${a.audited} | ${a.deployed} |`,
    '',
    `Budget spent: $${r.budget.spent_usd.toFixed(2)}${r.budget.daily_usd === null ? '' : ` of $${r.budget.daily_usd.toFixed(2)}`}. ` +
      `Audit backlog: ${r.audit_backlog}. Failed-audit rate: ${pct(r.failed_audit_rate)}. Stuck leases: ${r.stuck}.`,
    '',
    '## Top 5 per objective',
    '',
  ]
  // an id such as a.__x__ is a valid node id and would render a.<strong>x</strong>: ids are written as text too
  for (const [objective, rows] of Object.entries(r.top)) {
    lines.push(
      `**${objective}**: ${rows.length ? rows.map((t) => `${markdownText(t.id)} (${t.value.toFixed(3)})`).join(', ') : 'no accepted node'}`,
      '',
    )
  }
  lines.push('## Deployed', '')
  if (r.deployments.length === 0) lines.push('Nothing is deployed.', '')
  // the holdout summary quotes the runner's data (a date from its CSV files): as text, never as markup or a new line
  for (const d of r.deployments) {
    lines.push(
      `**${markdownText(d.node)}** on ${d.stage} since ${d.deployed_at.slice(0, 10)}, on ${markdownText(d.audit)}${d.signed_by ? ` (signed by ${markdownText(d.signed_by)})` : ' (unsigned)'}.${d.holdout ? ` Sealed holdout: ${markdownText(d.holdout)}.` : ''}`,
      '',
    )
  }
  lines.push('## Last 7 days', '', '| date | seeded | run | accepted | rejected | inconclusive |', '|---|---|---|---|---|---|')
  for (const t of r.trend) lines.push(`| ${t.date} | ${t.seeded} | ${t.run} | ${t.accepted} | ${t.rejected} | ${t.inconclusive} |`)
  lines.push('', "## The day's lineage", '')
  lines.push(lineageText)
  return lines.join('\n')
}

/** Every active deployment record, with the holdout result of the audit it stands on. */
async function activeDeployments(ws: Workspace, tree: string | undefined): Promise<DailyReport['deployments']> {
  const out: DailyReport['deployments'] = []
  for (const file of await listTreeFiles(ws.repo, tree, 'deployments', {recursive: true})) {
    const match = /^deployments\/(paper|live)\/(.+)\.yaml$/.exec(file.path)
    if (!match || /\.results\.yaml$/.test(file.path)) continue
    const record = await readDeployment(ws.repo, tree, match[1] as DeployStage, match[2]!)
    if (record.kind !== 'ok' || record.doc.status !== 'active') continue
    const audit = (await readNodeAudits(ws.repo, tree, record.doc.node)).audits.find((a) => a.file === record.doc.audit.file)
    out.push({
      node: record.doc.node,
      stage: record.doc.stage,
      deployed_at: record.doc.deployed_at,
      audit: record.doc.audit.file,
      signed_by: record.doc.audit.signed_by ?? null,
      holdout: audit?.front.holdout?.summary ?? null,
    })
  }
  return out
}
