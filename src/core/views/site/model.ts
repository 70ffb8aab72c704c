import {basename} from 'node:path'
import {budgetState, type BudgetState, utcDay} from '../../dag/budget.js'
import {healthCheck, type AuditStats, type HealthReport} from '../../dag/supervise.js'
import {readNodeAudits, type NodeAudit, type UnusableAudit} from '../../auditor/reports.js'
import {AgentCallFile, type NodeFile, type RankingFile, type VerdictFile} from '../../schemas/index.js'
import {loadStateDocument} from '../../state/documents.js'
import {AGENT_CALLS_DIR, AUDITS_DIR, EXPERIMENTS_DIR} from '../../state/layout.js'
import {listTreeFiles, readBlobs} from '../../state/tree-files.js'
import type {Snapshot} from '../../state/store.js'
import type {Workspace} from '../../state/workspace.js'
import {readActivityLog, type LogEntry} from '../log.js'
import {readRankings} from '../rank.js'
import {activityOf, healthScore, type DayActivity} from '../report.js'
import {childrenIndex, lineageOf} from '../show.js'
import {statusWithVerdicts, type StatusSummary} from '../status.js'

/** One node as its page shows it: what `rigor show` reads, plus where its charts' data is. */
export interface SiteNode {
  node: NodeFile
  verdict?: VerdictFile
  /** why the verdict file cannot be used (it is then left out) */
  verdictProblem?: string
  /** newest first */
  audits: Array<NodeAudit & {chartOid?: string}>
  unusableAudits: UnusableAudit[]
  lineage: string[]
  children: string[]
  /** the blob of out/returns.csv as committed with the verdict */
  returnsOid?: string
}

export interface AgentCallRecord extends AgentCallFile {
  file: string
}

/** Everything the site shows, read from one commit of the state branch (plus the log and rankings up to it). */
export interface SiteData {
  generatedAt: string
  workspace: {name: string; branch: string; remote: string | null}
  commit: string | null
  status: StatusSummary
  /** usable nodes by id, in id order */
  nodes: Map<string, SiteNode>
  /** the activity log, newest first */
  log: LogEntry[]
  /** what each UTC day did, oldest first, from the first day of the log to today */
  days: Array<{date: string} & DayActivity>
  rankings: Array<RankingFile & {file: string}>
  /** ranking records that cannot be used (corrupt, invalid): left out of the history */
  unusableRankings: Array<{file: string; problem: string}>
  health: HealthReport
  healthScore: number
  budget: BudgetState
  agentCalls: AgentCallRecord[]
  unusableAgentCalls: Array<{file: string; problem: string}>
}

export interface SiteDataOptions {
  /** the auditor's backlog and failure rate (flows/policies.ts), as health reports them */
  auditStats: AuditStats
  now?: Date
}

/** the status-over-time chart covers at most this many days */
const MAX_DAYS = 90

export async function readSiteData(ws: Workspace, opts: SiteDataOptions): Promise<SiteData> {
  const now = opts.now ?? new Date()
  const snap = await ws.currentSnapshot()
  const files = await committedFiles(ws, snap)
  const children = childrenIndex(snap)
  const nodes = new Map<string, SiteNode>()
  for (const id of [...snap.nodes.keys()].sort()) {
    const record = snap.nodes.get(id)!
    if (!record.node) continue
    let verdict: VerdictFile | undefined
    let verdictProblem: string | undefined
    try {
      verdict = await ws.store.verdict(record)
    } catch (err) {
      verdictProblem = err instanceof Error ? err.message : String(err)
    }
    nodes.set(id, {
      node: record.node,
      verdict,
      verdictProblem,
      audits: [],
      unusableAudits: [],
      lineage: lineageOf(snap, record.node),
      children: children.get(id) ?? [],
      returnsOid: verdict ? files.returns.get(id) : undefined,
    })
  }
  // only the nodes that have a folder under audits/ are read, through the one reader of audit reports
  for (const id of files.audited) {
    const site = nodes.get(id)
    if (!site) continue
    const {audits, unusable} = await readNodeAudits(ws.repo, snap.tree, id)
    site.audits = audits.map((a) => ({...a, chartOid: files.auditCharts.get(a.file.replace(/\.md$/, '.svg'))}))
    site.unusableAudits = unusable
  }
  const log = await readActivityLog(ws)
  const health = await healthCheck(ws, opts.auditStats, now)
  const today = utcDay(now)
  const agent = await readAgentCalls(ws, snap)
  const rankings = await readRankings(ws)
  return {
    generatedAt: now.toISOString(),
    workspace: {name: basename(ws.root), branch: ws.stateRef.replace(/^refs\/heads\//, ''), remote: ws.remote?.remote ?? null},
    commit: snap.commit ?? null,
    status: await statusWithVerdicts(ws, snap),
    nodes,
    log,
    days: dailyActivity(log, today),
    rankings: rankings.rankings,
    unusableRankings: rankings.unusable,
    health,
    healthScore: healthScore(activityOf(log, today), health),
    budget: await budgetState(ws, snap, now),
    agentCalls: agent.calls,
    unusableAgentCalls: agent.unusable,
  }
}

/** Each day from the log's first (at most MAX_DAYS back) to today, with what it did. */
function dailyActivity(log: LogEntry[], today: string): SiteData['days'] {
  const end = Date.parse(`${today}T00:00:00Z`)
  const oldest = log.length ? Date.parse(`${utcDay(new Date(log[log.length - 1]!.time))}T00:00:00Z`) : end
  const start = Math.max(oldest, end - (MAX_DAYS - 1) * 86_400_000)
  const byDay = new Map<string, LogEntry[]>()
  for (const entry of log) {
    const day = utcDay(new Date(entry.time))
    byDay.set(day, [...(byDay.get(day) ?? []), entry])
  }
  const days: SiteData['days'] = []
  for (let t = start; t <= end; t += 86_400_000) {
    const date = utcDay(new Date(t))
    days.push({date, ...activityOf(byDay.get(date) ?? [], date)})
  }
  return days
}

/**
 * Where the committed outputs and audit files are, from one listing of the
 * tip's tree: each node's out/returns.csv, the nodes with an audits/ folder,
 * and the audit charts (audits/<id>/<report>.svg beside <report>.md).
 */
async function committedFiles(
  ws: Workspace,
  snap: Snapshot,
): Promise<{returns: Map<string, string>; audited: string[]; auditCharts: Map<string, string>}> {
  const returns = new Map<string, string>()
  const audited = new Set<string>()
  const auditCharts = new Map<string, string>()
  if (!snap.tree) return {returns, audited: [], auditCharts}
  const listing = await ws.repo.git(['ls-tree', '-r', '-z', snap.tree, '--', EXPERIMENTS_DIR, AUDITS_DIR])
  const returnsSuffix = '/out/returns.csv'
  for (const line of listing.stdout.split('\0')) {
    const tab = line.indexOf('\t')
    if (tab < 0) continue
    const [, type, oid] = line.slice(0, tab).split(' ')
    const path = line.slice(tab + 1)
    if (type !== 'blob' || !oid) continue
    if (path.startsWith(`${EXPERIMENTS_DIR}/`) && path.endsWith(returnsSuffix)) {
      returns.set(path.slice(EXPERIMENTS_DIR.length + 1, -returnsSuffix.length), oid)
    } else if (path.startsWith(`${AUDITS_DIR}/`)) {
      const dir = path.slice(AUDITS_DIR.length + 1, path.lastIndexOf('/'))
      if (path.endsWith('.md')) audited.add(dir)
      else if (path.endsWith('.svg')) auditCharts.set(path, oid)
    }
  }
  return {returns, audited: [...audited].sort(), auditCharts}
}

/** The agent call records (reports/agent-calls/), oldest first; a record that cannot be used is named, never counted. */
async function readAgentCalls(
  ws: Workspace,
  snap: Snapshot,
): Promise<{calls: AgentCallRecord[]; unusable: Array<{file: string; problem: string}>}> {
  const files = (await listTreeFiles(ws.repo, snap.tree, AGENT_CALLS_DIR)).filter((f) => f.path.endsWith('.yaml'))
  const blobs = await readBlobs(
    ws.repo,
    files.map((f) => f.oid),
  )
  const calls: AgentCallRecord[] = []
  const unusable: Array<{file: string; problem: string}> = []
  files.forEach((f, i) => {
    try {
      calls.push({...loadStateDocument(AgentCallFile, blobs[i]!.toString('utf8'), f.path), file: f.path})
    } catch (err) {
      unusable.push({file: f.path, problem: err instanceof Error ? err.message : String(err)})
    }
  })
  calls.sort((a, b) => Date.parse(a.called_at) - Date.parse(b.called_at))
  return {calls, unusable}
}
