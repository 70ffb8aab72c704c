/**
 * `rigor metrics`: the state of the branch tip as Prometheus metrics. Every
 * number is read from committed state (node and verdict files, audit reports,
 * agent-call records, deployment records, and the Rigor-* trailers of the
 * history), so any checkout of the branch reports the same.
 *
 * What one commit says is read once and kept (MetricsCollector): a scrape of
 * an unchanged tip recomputes only what depends on the clock (the day's
 * budget, stuck leases, the health score), and the history is read
 * incrementally, from the last tip seen.
 */
import {owedAudit, tallyAudits} from '../auditor/stats.js'
import {readNodeAudits, type NodeAudit} from '../auditor/reports.js'
import {budgetState, utcDay, type BudgetState} from '../dag/budget.js'
import {leaseStuck} from '../dag/supervise.js'
import {readDeployment} from '../deploy/records.js'
import {
  AgentCallFile,
  DEPLOY_STAGES,
  DEPLOYMENT_STATUSES,
  NODE_STATUSES,
  type DeployStage,
  type NodeFile,
  type VerdictFile,
} from '../schemas/index.js'
import {RIGOR_ACTIONS} from '../state/commit-message.js'
import {loadStateDocument} from '../state/documents.js'
import {AGENT_CALLS_DIR, AUDITS_DIR, DEPLOYMENTS_DIR} from '../state/layout.js'
import type {Snapshot} from '../state/store.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import type {Workspace} from '../state/workspace.js'
import {emptyHistogram, type Histogram, type Labels, type MetricDef, type MetricFamily, observe, type Series} from './exposition.js'
import {readActivityLog, type LogEntry} from './log.js'
import {readRetiredVerdicts, type RetiredVerdict} from './retired-verdicts.js'
import {activityOf, healthScore} from './report.js'

const RUN_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200]
const AGENT_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600]

const def = (name: string, type: MetricDef['type'], help: string, labels: string[] = [], buckets?: number[]): MetricDef => ({
  name,
  type,
  help,
  labels,
  buckets,
})

/** Every metric rigor exports (docs/observability.md lists them; the Grafana dashboard may query only these). */
export const METRICS = {
  nodes: def('rigor_nodes', 'gauge', 'Nodes by team and status (sweep groups apart).', ['team', 'status']),
  archived: def('rigor_nodes_archived', 'gauge', 'Nodes that ranking archived, by team.', ['team']),
  sweepGroups: def('rigor_sweep_groups', 'gauge', 'Sweep group nodes (they hold variants and never run).'),
  problems: def(
    'rigor_state_problems',
    'gauge',
    'Node and verdict files that cannot be used (corrupt, invalid, or a verdict without its node file).',
    ['file'],
  ),
  runDuration: def(
    'rigor_run_duration_seconds',
    'histogram',
    'How long the runs of the verdicts on the branch took, by team and final status.',
    ['team', 'status'],
    RUN_BUCKETS,
  ),
  runCost: def('rigor_run_cost_usd_total', 'counter', 'What the runners reported their runs cost, in USD, by team.', ['team']),
  gates: def('rigor_gate_results_total', 'counter', 'Gate decisions recorded in verdicts, by gate and result.', ['gate', 'result']),
  audits: def('rigor_audits_total', 'counter', 'Audit reports on the branch, by verdict.', ['verdict']),
  auditChecks: def('rigor_audit_checks_total', 'counter', 'Checks in the audit reports, by check and result.', ['check', 'result']),
  auditBacklog: def('rigor_audit_backlog', 'gauge', 'Accepted nodes that wrote out/returns.csv (auditable) with no audit yet.'),
  auditFailedRatio: def(
    'rigor_audit_failed_ratio',
    'gauge',
    'Share of audited accepted nodes whose newest audit is a FAIL (absent before the first audit).',
  ),
  budgetSpent: def('rigor_budget_spent_usd', 'gauge', "What today's (UTC) verdicts and agent calls cost, in USD."),
  budgetReserved: def(
    'rigor_budget_reserved_usd',
    'gauge',
    'What the runs in flight hold in reserve (budget.reserve_per_run_usd each), in USD.',
  ),
  budgetDaily: def('rigor_budget_daily_usd', 'gauge', 'budget.daily_usd of rigor.yaml (absent when unset).'),
  budgetRemaining: def('rigor_budget_remaining_usd', 'gauge', 'What is left of the daily budget today (UTC), in USD (absent when unset).'),
  agentCalls: def('rigor_agent_calls_total', 'counter', 'Agent calls, by kind, agent and outcome (ok, failed).', [
    'kind',
    'agent',
    'outcome',
  ]),
  agentAttempts: def('rigor_agent_attempts_total', 'counter', 'Attempts the agent calls made, retries included.', ['kind', 'agent']),
  agentTokens: def('rigor_agent_tokens_total', 'counter', 'Tokens the agent calls reported, by direction (in, out).', [
    'kind',
    'agent',
    'direction',
  ]),
  agentCost: def('rigor_agent_cost_usd_total', 'counter', 'What the agent calls cost, in USD.', ['kind', 'agent']),
  agentDuration: def(
    'rigor_agent_call_duration_seconds',
    'histogram',
    'How long an agent call took, retries included (records that keep it).',
    ['kind', 'agent'],
    AGENT_BUCKETS,
  ),
  leaseExpiries: def(
    'rigor_lease_expiries_total',
    'counter',
    'Leases that expired and were taken back by rigor supervise: re-queued, or made inconclusive after the last attempt.',
    ['outcome'],
  ),
  leasesStuck: def('rigor_leases_stuck', 'gauge', 'Running nodes whose lease has passed and that no supervisor has taken back yet.'),
  claims: def('rigor_claims_total', 'counter', 'Claim commits on the branch.'),
  claimConflicts: def(
    'rigor_claim_conflicts_total',
    'counter',
    'Races a claim lost to another writer before it landed (Rigor-Conflicts trailers; claims before rigor recorded them count none).',
  ),
  commits: def('rigor_state_commits_total', 'counter', 'State commits on the branch, by Rigor-Action.', ['action']),
  lastChange: def('rigor_state_last_change_timestamp_seconds', 'gauge', 'When the newest state commit was made (Unix time).'),
  deployments: def('rigor_deployments', 'gauge', 'Deployment records, by stage and status.', ['stage', 'status']),
  healthScore: def('rigor_health_score', 'gauge', 'The health score of rigor report (0-100) for today (UTC).'),
} as const satisfies Record<string, MetricDef>

export const METRIC_DEFS: readonly MetricDef[] = Object.values(METRICS)

interface RunTally {
  runs: Map<string, {labels: Labels; observations: Histogram}>
  runCost: Map<string, number>
  gates: Map<string, number>
}

/** What one commit of the state says, read once. */
interface CommitFacts extends RunTally {
  snap: Snapshot
  teams: string[]
  nodes: Map<string, number>
  archived: Map<string, number>
  sweepGroups: number
  problems: {node: number; verdict: number}
  running: NodeFile[]
  /** lease.duration of the config at that commit: a lease further ahead than it grants is stuck (leaseLapse) */
  leaseMs: number
  owed: string[]
  audits: {PASS: number; FAIL: number}
  auditChecks: Map<string, number>
  newestAudit: Map<string, 'PASS' | 'FAIL'>
  agent: AgentTally
  deployments: Map<string, number>
}

interface AgentTally {
  calls: Map<string, number>
  attempts: Map<string, number>
  tokens: Map<string, number>
  cost: Map<string, number>
  durations: Map<string, {labels: Labels; observations: Histogram}>
}

/** What the history says, read incrementally from the last tip seen. */
interface HistoryTally {
  tip: string
  commits: Map<string, number>
  claims: number
  conflicts: number
  requeued: number
  expired: number
  lastChange: number | undefined
  /** the verdicts a later commit removed (a rerun) or replaced: their runs stay counted */
  retired: RetiredVerdict[]
  /** entries of the last two days (UTC), for today's activity */
  recent: LogEntry[]
}

const key = (...parts: string[]): string => parts.join('\u0000')
const labelsOf = (names: readonly string[], k: string): Labels => Object.fromEntries(k.split('\u0000').map((v, i) => [names[i]!, v]))
const KNOWN_ACTIONS: ReadonlySet<string> = new Set(RIGOR_ACTIONS)
const add = (map: Map<string, number>, k: string, by = 1) => map.set(k, (map.get(k) ?? 0) + by)

/**
 * Reads the metrics of a workspace's branch tip; keeps what each commit says,
 * so a scraper asking every few seconds costs little while the tip stands still.
 */
export class MetricsCollector {
  private facts?: {commit: string | undefined; facts: CommitFacts}
  private budget?: {key: string; state: BudgetState}
  private history?: HistoryTally
  private readonly agentDocs = new Map<string, AgentCallFile | null>()
  private readonly nodeAudits = new Map<string, {files: string; audits: NodeAudit[]}>()

  async collect(ws: Workspace, now = new Date()): Promise<{commit: string | null; families: MetricFamily[]}> {
    const tip = await ws.readTip()
    if (!this.facts || this.facts.commit !== tip) this.facts = {commit: tip, facts: await this.readCommit(ws, await ws.snapshot(tip))}
    const facts = this.facts.facts
    const budgetKey = `${tip}|${utcDay(now)}`
    if (this.budget?.key !== budgetKey) this.budget = {key: budgetKey, state: await budgetState(ws, facts.snap, now)}
    const history = await this.readHistory(ws, tip, now)
    return {commit: tip ?? null, families: families(facts, this.budget.state, history, now)}
  }

  private async readCommit(ws: Workspace, snap: Snapshot): Promise<CommitFacts> {
    const facts: CommitFacts = {
      snap,
      teams: ws.config.teams.map((t) => t.name),
      nodes: new Map(),
      archived: new Map(),
      sweepGroups: 0,
      // a verdict committed without its node file has no record below: counted here, as rigor status lists it
      problems: {node: 0, verdict: snap.orphanVerdicts?.length ?? 0},
      running: [],
      leaseMs: ws.config.lease.duration,
      owed: [],
      runs: new Map(),
      runCost: new Map(),
      gates: new Map(),
      audits: {PASS: 0, FAIL: 0},
      auditChecks: new Map(),
      newestAudit: new Map(),
      agent: {calls: new Map(), attempts: new Map(), tokens: new Map(), cost: new Map(), durations: new Map()},
      deployments: new Map(),
    }
    for (const record of snap.nodes.values()) {
      if (!record.node) {
        facts.problems.node++
        // its verdict file is a file of its own, which rigor verify and rigor status count too
        if (record.verdictOid && (await ws.store.verdictProblem(record))) facts.problems.verdict++
        continue
      }
      const node = record.node
      if (node.sweep) {
        facts.sweepGroups++
        continue
      }
      if (!facts.teams.includes(node.team)) facts.teams.push(node.team)
      add(facts.nodes, key(node.team, node.status))
      if (node.archived) add(facts.archived, node.team)
      if (node.status === 'running') facts.running.push(node)
      if (!record.verdictOid) continue
      const verdict = await ws.store.verdict(record).catch(() => undefined)
      if (!verdict) {
        facts.problems.verdict++
        continue
      }
      if (owedAudit(node, verdict)) facts.owed.push(node.id)
      countRun(facts, node.team, verdict)
    }
    await this.readAudits(ws, snap, facts)
    await this.readAgentCalls(ws, snap, facts.agent)
    await readDeployments(ws, snap, facts.deployments)
    return facts
  }

  /** Every usable audit report, read again only for the nodes whose audit files changed. */
  private async readAudits(ws: Workspace, snap: Snapshot, facts: CommitFacts): Promise<void> {
    const byNode = new Map<string, string[]>()
    for (const file of await listTreeFiles(ws.repo, snap.tree, AUDITS_DIR, {recursive: true})) {
      if (!/\.(md|json)$/.test(file.path)) continue
      const id = file.path.slice(AUDITS_DIR.length + 1, file.path.lastIndexOf('/'))
      byNode.set(id, [...(byNode.get(id) ?? []), `${file.path}:${file.oid}`])
    }
    for (const [id, files] of byNode) {
      const signature = files.join(',')
      let cached = this.nodeAudits.get(id)
      if (cached?.files !== signature) {
        cached = {files: signature, audits: (await readNodeAudits(ws.repo, snap.tree, id)).audits}
        this.nodeAudits.set(id, cached)
      }
      for (const audit of cached.audits) {
        facts.audits[audit.front.verdict]++
        for (const check of audit.front.checks) add(facts.auditChecks, key(check.name, check.result))
      }
      const newest = cached.audits[0]
      if (newest) facts.newestAudit.set(id, newest.front.verdict)
    }
  }

  /** The agent-call records; each blob is parsed once (records never change). A broken record is `rigor verify`'s to report. */
  private async readAgentCalls(ws: Workspace, snap: Snapshot, tally: AgentTally): Promise<void> {
    const files = await listTreeFiles(ws.repo, snap.tree, AGENT_CALLS_DIR)
    const unread = files.filter((f) => !this.agentDocs.has(f.oid))
    const blobs = await readBlobs(
      ws.repo,
      unread.map((f) => f.oid),
    )
    unread.forEach((f, i) => {
      try {
        this.agentDocs.set(f.oid, loadStateDocument(AgentCallFile, blobs[i]!.toString('utf8'), f.path))
      } catch {
        this.agentDocs.set(f.oid, null)
      }
    })
    for (const file of files) {
      const call = this.agentDocs.get(file.oid)
      if (!call) continue
      const who = key(call.kind, call.agent)
      add(tally.calls, key(call.kind, call.agent, call.failures.length < call.attempts ? 'ok' : 'failed'))
      add(tally.attempts, who, call.attempts)
      add(tally.tokens, key(call.kind, call.agent, 'in'), call.cost.tokens_in ?? 0)
      add(tally.tokens, key(call.kind, call.agent, 'out'), call.cost.tokens_out ?? 0)
      add(tally.cost, who, call.cost.usd)
      if (call.duration_s === undefined) continue
      const series = tally.durations.get(who) ?? {
        labels: {kind: call.kind, agent: call.agent},
        observations: emptyHistogram(METRICS.agentDuration),
      }
      observe(METRICS.agentDuration, series.observations, call.duration_s)
      tally.durations.set(who, series)
    }
  }

  /** The history's counts, from the commits after the last tip read (all of them after a rewrite). */
  private async readHistory(ws: Workspace, tip: string | undefined, now: Date): Promise<HistoryTally | undefined> {
    if (!tip) return undefined
    let tally = this.history
    if (tally?.tip === tip) return pruneRecent(tally, now)
    const incremental = tally !== undefined && (await ws.repo.isAncestor(tally.tip, tip))
    if (!tally || !incremental)
      tally = {tip, commits: new Map(), claims: 0, conflicts: 0, requeued: 0, expired: 0, lastChange: undefined, retired: [], recent: []}
    const entries = await readActivityLog(ws, {tip, since: incremental ? tally.tip : undefined})
    for (const entry of entries) {
      // a hand commit's trailer can say anything: one series per action rigor writes, the rest under "other" (a label
      // value of 100 KB, or a new series per commit, would have a Prometheus with label limits reject the scrape)
      add(tally.commits, KNOWN_ACTIONS.has(entry.action) ? entry.action : 'other')
      const time = Date.parse(entry.time) / 1000
      tally.lastChange = Math.max(tally.lastChange ?? time, time)
      if (entry.action === 'claim') {
        tally.claims++
        tally.conflicts += count(entry.trailers.conflicts)
      }
      // rigor supervise says what it did in the subject: "supervise: N re-queued, M expired, K blocked"
      const requeue = entry.action === 'requeue' ? /(\d+) re-queued, (\d+) expired/.exec(entry.subject) : null
      if (requeue) {
        tally.requeued += count(requeue[1])
        tally.expired += count(requeue[2])
      }
    }
    tally.retired.push(...(await readRetiredVerdicts(ws, tip, incremental ? tally.tip : undefined)))
    tally.recent = [...entries, ...tally.recent]
    tally.tip = tip
    this.history = tally
    return pruneRecent(tally, now)
  }
}

/** A run's duration, cost and gate decisions, added to the run counters. */
function countRun(runs: RunTally, team: string, verdict: VerdictFile): void {
  const runKey = key(team, verdict.status)
  const run = runs.runs.get(runKey) ?? {labels: {team, status: verdict.status}, observations: emptyHistogram(METRICS.runDuration)}
  observe(METRICS.runDuration, run.observations, verdict.duration_s)
  runs.runs.set(runKey, run)
  if (verdict.cost) add(runs.runCost, team, verdict.cost.usd)
  for (const gate of verdict.gates) add(runs.gates, key(gate.name, gate.result))
}

/** The runs of the tip's verdicts and of those that left the tree (a new map each scrape: a commit's facts are kept). */
function allRuns(facts: CommitFacts, retired: readonly RetiredVerdict[]): RunTally {
  const runs: RunTally = {
    runs: new Map(
      [...facts.runs].map(([k, r]) => [k, {labels: r.labels, observations: {...r.observations, perBucket: [...r.observations.perBucket]}}]),
    ),
    runCost: new Map(facts.runCost),
    gates: new Map(facts.gates),
  }
  for (const {id, verdict} of retired) {
    const team = facts.snap.nodes.get(id)?.node?.team
    if (team) countRun(runs, team, verdict)
  }
  return runs
}

/** A count rigor wrote into a commit (digits only); anything else (a hand-written `-7`, `1e400`) counts 0, so a counter never shrinks or turns +Inf. */
function count(text: string | undefined): number {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : 0
}

function pruneRecent(tally: HistoryTally, now: Date): HistoryTally {
  const since = Date.parse(`${utcDay(now)}T00:00:00Z`) - 86_400_000
  tally.recent = tally.recent.filter((e) => Date.parse(e.time) >= since)
  return tally
}

async function readDeployments(ws: Workspace, snap: Snapshot, counts: Map<string, number>): Promise<void> {
  for (const file of await listTreeFiles(ws.repo, snap.tree, DEPLOYMENTS_DIR, {recursive: true})) {
    const match = /^deployments\/(paper|live)\/(.+)\.yaml$/.exec(file.path)
    if (!match || file.path.endsWith('.results.yaml')) continue
    const record = await readDeployment(ws.repo, snap.tree, match[1] as DeployStage, match[2]!)
    if (record.kind === 'ok') add(counts, key(record.doc.stage, record.doc.status))
  }
}

/** The families, from what the commit and the history say and what the clock says now. */
function families(facts: CommitFacts, budget: BudgetState, history: HistoryTally | undefined, now: Date): MetricFamily[] {
  const counted = (d: MetricDef, map: Map<string, number>): MetricFamily => ({
    def: d,
    series: [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, value]) => ({labels: labelsOf(d.labels, k), value})),
  })
  const single = (d: MetricDef, value: number | null | undefined): MetricFamily => ({
    def: d,
    series: value === null || value === undefined ? [] : [{labels: {}, value}],
  })
  const histograms = (d: MetricDef, map: Map<string, {labels: Labels; observations: Histogram}>): MetricFamily => ({
    def: d,
    series: [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s as Series),
  })
  // every label value that can be, zeros included: a query over a status that has none yet (or none any more, its
  // last archived node unarchived, its last deployment rolled back) still finds its series rather than a gap
  const withZeros = (keys: string[], counts: Map<string, number>) => new Map([...keys.map((k) => [k, 0] as const), ...counts])
  const nodes = withZeros(
    facts.teams.flatMap((team) => NODE_STATUSES.map((status) => key(team, status))),
    facts.nodes,
  )
  const archived = withZeros(facts.teams, facts.archived)
  const deployments = withZeros(
    DEPLOY_STAGES.flatMap((stage) => DEPLOYMENT_STATUSES.map((status) => key(stage, status))),
    facts.deployments,
  )
  const stuck = facts.running.filter((node) => leaseStuck(node, now, facts.leaseMs))
  const runs = allRuns(facts, history?.retired ?? [])
  const tally = tallyAudits(facts.owed.map((id) => facts.newestAudit.get(id)))
  const score = healthScore(activityOf(history?.recent ?? [], utcDay(now)), {
    audit_backlog: tally.backlog,
    failed_audit_rate: tally.failedRate,
    stuck: stuck.map((n) => ({id: n.id})),
  })
  return [
    counted(METRICS.nodes, nodes),
    counted(METRICS.archived, archived),
    single(METRICS.sweepGroups, facts.sweepGroups),
    counted(METRICS.problems, new Map(Object.entries(facts.problems))),
    histograms(METRICS.runDuration, runs.runs),
    counted(METRICS.runCost, runs.runCost),
    counted(METRICS.gates, runs.gates),
    counted(METRICS.audits, new Map(Object.entries(facts.audits))),
    counted(METRICS.auditChecks, facts.auditChecks),
    single(METRICS.auditBacklog, tally.backlog),
    single(METRICS.auditFailedRatio, tally.failedRate),
    single(METRICS.budgetSpent, budget.spent_usd),
    single(METRICS.budgetReserved, budget.reserved_usd),
    single(METRICS.budgetDaily, budget.daily_usd),
    single(METRICS.budgetRemaining, budget.remaining_usd),
    counted(METRICS.agentCalls, facts.agent.calls),
    counted(METRICS.agentAttempts, facts.agent.attempts),
    counted(METRICS.agentTokens, facts.agent.tokens),
    counted(METRICS.agentCost, facts.agent.cost),
    histograms(METRICS.agentDuration, facts.agent.durations),
    counted(
      METRICS.leaseExpiries,
      new Map([
        ['inconclusive', history?.expired ?? 0],
        ['requeued', history?.requeued ?? 0],
      ]),
    ),
    single(METRICS.leasesStuck, stuck.length),
    single(METRICS.claims, history?.claims ?? 0),
    single(METRICS.claimConflicts, history?.conflicts ?? 0),
    counted(METRICS.commits, history?.commits ?? new Map()),
    single(METRICS.lastChange, history?.lastChange),
    counted(METRICS.deployments, deployments),
    single(METRICS.healthScore, score),
  ]
}
