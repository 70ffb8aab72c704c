import {extname} from 'node:path'
import {priceSeries} from '../backtest/prices.js'
import {committedDataFile, materialiseBlob} from '../data-files.js'
import {columnName, readPriceTable, type PriceTable} from '../data/price-file.js'
import {CheckFailedError, InputError, RigorError} from '../errors.js'
import {nowIso} from '../nodes.js'
import type {AuditCheck, AuditIssue, AuditRecord, NodeFile} from '../schemas/index.js'
import {RunnerVerdict, type RunnerAccounting} from '../schemas/verdict.js'
import {problemError} from '../store.js'
import {registerAuditStats} from '../supervise.js'
import {readBlobs} from '../tree-files.js'
import type {Workspace} from '../workspace.js'
import {declaredPriceColumn} from './accounting.js'
import {equityChartSvg} from './chart.js'
import {accountingCheck} from './checks/accounting.js'
import type {CheckContext, CheckOutcome} from './checks/context.js'
import {truncationCheck} from './checks/lookahead.js'
import {permutationCheck} from './checks/leakage.js'
import {dsrCheck, pboCheck} from './checks/overfitting.js'
import {costsCheck, seedsCheck} from './checks/robustness.js'
import {seriesByDate} from './csv.js'
import {resolveFamily} from './family.js'
import {kitCommand, kitRunner} from './kit-runner.js'
import {loadAuditRecord, renderAuditFiles, sidecarPath} from './record.js'
import {processRunner} from './rerun.js'
import {auditThresholds} from './thresholds.js'

export const AUDITS_DIR = 'audits'

/** An auditor may not audit what it ran, seeded or designed. */
export function isolationProblem(node: NodeFile, worker: string | undefined, auditor: string): string | undefined {
  if (worker === auditor) return `${auditor} ran this node (its verdict's worker)`
  if (node.seeded_by === auditor) return `${auditor} seeded this node`
  if (node.designed_by === auditor) return `${auditor} designed this node`
  return undefined
}

export interface AuditOutcome {
  /** the full record (what `rigor audit --json` prints) */
  front: Omit<AuditRecord, 'checksum'>
  path: string
  details: string
  chart: string
  commit?: string
}

/** What the audit reads of the committed data: the table, its validated prices, the declared price basis, or why not. */
function readData(bytes: Buffer | undefined, file: string | undefined, accounting: RunnerAccounting | undefined): Pick<CheckContext, 'data' | 'closes' | 'basis' | 'dataProblem'> {
  if (!bytes || !file) return {}
  let data: PriceTable
  try {
    data = readPriceTable(bytes.toString('utf8'), file)
  } catch (error) {
    if (error instanceof RigorError) return {dataProblem: `the data cannot be read, so it cannot be altered (${error.message})`}
    throw error
  }
  let closes: Float64Array
  try {
    closes = priceSeries(data).close
  } catch (error) {
    if (error instanceof RigorError) return {data, dataProblem: `the data's prices cannot be read, so they cannot be altered (${error.message})`}
    throw error
  }
  const column = declaredPriceColumn(data, accounting)
  if (column === undefined) return {data, closes}
  const basis = column === data.columns.close ? closes : Float64Array.from(data.rows, (row) => Number(row[column]))
  return {data, closes, basis: {dates: data.rows.map((row) => row[data.columns.date]!), prices: basis, column: columnName(data, column)}}
}

/** A node that never traded: every committed position is 0 (or, without positions, every return is). */
function neverTraded(positions: Map<string, number>, returns: Map<string, number>): string | undefined {
  if (positions.size > 0) return [...positions.values()].every((p) => p === 0) ? `every one of its ${positions.size} positions is 0` : undefined
  return [...returns.values()].every((r) => r === 0) ? `every one of its ${returns.size} returns is 0` : undefined
}

const CHECK_NAMES = ['accounting.consistency', 'lookahead.truncation', 'leakage.permutation', 'overfitting.dsr', 'overfitting.pbo', 'robustness.costs', 'robustness.seeds']

async function runChecks(ctx: CheckContext): Promise<CheckOutcome[]> {
  const idle = neverTraded(ctx.positions, ctx.returns)
  if (idle) {
    const reason = `the strategy never traded (${idle}): there is no edge to test`
    return CHECK_NAMES.map((name, i) => ({
      check: {name, result: 'skipped' as const, figures: {}, reason},
      issues:
        i === 0
          ? [{severity: 'major' as const, category: 'other' as const, description: `${reason}; an audit cannot pass a strategy that never took a position`, location: 'positions.csv and returns.csv of the runner', remediation: 'check the strategy\'s parameters and data (a lookback longer than the history, a threshold never reached)'}]
          : [],
    }))
  }
  return [
    accountingCheck(ctx),
    await truncationCheck(ctx),
    await permutationCheck(ctx),
    dsrCheck(ctx),
    pboCheck(ctx),
    await costsCheck(ctx),
    await seedsCheck(ctx),
  ]
}

/** PASS only when no check failed or could not run and no critical or major issue is open. */
export function decideVerdict(checks: AuditCheck[], issues: AuditIssue[]): 'PASS' | 'FAIL' {
  const clean = checks.every((c) => c.result !== 'fail' && c.result !== 'error') && issues.every((i) => i.severity === 'minor')
  return clean ? 'PASS' : 'FAIL'
}

function summaryOf(checks: AuditCheck[], issues: AuditIssue[]): string {
  const count = (r: AuditCheck['result']) => checks.filter((c) => c.result === r).length
  const parts = (['pass', 'fail', 'error', 'skipped', 'info'] as const).filter((r) => count(r) > 0).map((r) => `${count(r)} ${r === 'info' ? 'reported' : r}`)
  const open = issues.filter((i) => i.severity !== 'minor').length
  return `${checks.length} checks: ${parts.join(', ')}; ${open} open critical/major issue(s)`
}

/**
 * The Independent Auditor: recomputes the node's returns from its positions,
 * re-runs it (the kit in process, any other runner as a process) on truncated
 * and shuffled copies of its data, at higher costs and with other seeds, and
 * deflates its Sharpe ratio for its family of trials. Writes
 * audits/<id>/<date>-<auditor>.md (short front matter, readable body), the
 * .json record beside it and an SVG chart, in one commit.
 */
export async function auditNode(ws: Workspace, id: string, opts: {auditor: string; now?: Date}): Promise<AuditOutcome> {
  const now = opts.now ?? new Date()
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(opts.auditor)) {
    throw new InputError(`auditor name "${opts.auditor}" must be lowercase letters, digits, ".", "_" or "-"`, {field: '--auditor', fix: 'e.g. --auditor risk-team'})
  }
  const thresholds = auditThresholds(ws.config.audit)
  const snap = await ws.currentSnapshot()
  const record = snap.nodes.get(id)
  if (!record) throw new InputError(`no node ${id}`, {fix: 'check the id with `rigor status`'})
  if (record.problem) throw problemError(record.problem)
  const node = record.node!
  const verdict = await ws.store.verdict(record)
  if (!verdict || (verdict.status !== 'proven_accepted' && verdict.status !== 'proven_rejected')) {
    throw new CheckFailedError(`node ${id} has no accepted or rejected verdict to audit (status ${node.status})`, {fix: 'run it first: rigor work'})
  }
  const isolation = isolationProblem(node, verdict.worker, opts.auditor)
  if (isolation) throw new CheckFailedError(`refused: ${isolation}; an auditor must be independent of the work it audits`, {fix: 'audit with another --auditor name'})
  const read = async (name: string) => (await ws.repo.readFileAt(snap.commit!, `experiments/${id}/out/${name}`))?.toString('utf8')
  const returnsText = await read('returns.csv')
  if (!returnsText) throw new CheckFailedError(`node ${id} has no out/returns.csv to audit`, {fix: 'its runner must write returns.csv (date,return) into RIGOR_OUT'})
  const returns = seriesByDate(returnsText)
  const positionsText = await read('positions.csv')
  const accounting = runnerAccounting(await read('verdict.json'))
  // the committed data, never the working tree's copy
  const dataFile = node.data ? await committedDataFile(ws.repo, snap.commit, node.data, {file: `experiments/${id}/node.yaml`, field: 'data'}) : undefined
  const dataBytes = dataFile ? (await readBlobs(ws.repo, [dataFile.oid]))[0] : undefined
  const dataInfo = readData(dataBytes, node.data, accounting)
  const kit = kitCommand(node.run.command)
  const runner =
    kit && dataInfo.data
      ? kitRunner({node, kit, data: dataInfo.data})
      : processRunner({node, root: ws.root, dataPath: dataFile ? await materialiseBlob(ws.repo, dataFile.oid, extname(node.data!)) : undefined, defaultTimeoutMs: ws.config.runner.default_timeout})
  const family = await resolveFamily(ws, snap, node)
  const ctx: CheckContext = {
    node,
    ...dataInfo,
    returns,
    positions: positionsText ? seriesByDate(positionsText) : new Map(),
    accounting,
    family,
    costBps: accounting?.cost_bps ?? verdict.metrics.cost_bps ?? (typeof node.params.cost_bps === 'number' ? node.params.cost_bps : 5),
    t: thresholds,
    runner,
  }
  const outcomes = await runChecks(ctx)
  const checks = outcomes.map((o) => o.check)
  const issues: AuditIssue[] = outcomes.flatMap((o) => o.issues).map((issue, i) => ({id: `A${i + 1}`, ...issue}))
  const verdictText = decideVerdict(checks, issues)
  const day = nowIso(now).slice(0, 10)
  const path = `${AUDITS_DIR}/${id}/${day}-${opts.auditor}.md`
  const chart = `${AUDITS_DIR}/${id}/${day}-${opts.auditor}.svg`
  const front: Omit<AuditRecord, 'checksum'> = {
    verdict: verdictText,
    auditor: opts.auditor,
    audited_at: nowIso(now),
    covers: {node: id, commit: snap.commit!, artifacts: verdict.artifacts},
    summary: summaryOf(checks, issues),
    family: {rule: family.rule, trials: family.trials, trials_in_rigor: family.trials_in_rigor, trials_outside: family.trials_outside_declared + family.trials_outside_runners, counted: family.counted},
    checks,
    issues,
  }
  const files = renderAuditFiles(front, {report: path, chart})
  const svg = equityChartSvg([...returns.entries()], {title: `${id}: out-of-sample equity`, log: thresholds.chart_log_scale})
  const outcome = await ws.commit(async () => ({
    files: new Map([
      [path, files.report],
      [sidecarPath(path), files.details],
      [chart, svg],
    ]),
    message: {action: 'audit', subject: `audit ${id} ${verdictText} by ${opts.auditor}`, nodes: [id], worker: opts.auditor, trailers: {Verdict: verdictText}},
    result: undefined,
  }))
  return {front, path, details: sidecarPath(path), chart, commit: outcome.commit}
}

/** The runner's accounting declaration from its committed verdict.json (validated when it ran). */
function runnerAccounting(text: string | undefined): RunnerAccounting | undefined {
  if (!text) return undefined
  try {
    const parsed = RunnerVerdict.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data.accounting : undefined
  } catch {
    return undefined
  }
}

/** Every audit report of a node at the state tip, oldest first. */
export async function listAudits(ws: Workspace, id: string): Promise<Array<Record<string, unknown>>> {
  const tip = await ws.readTip()
  if (!tip) return []
  const listing = await ws.repo.git(['ls-tree', '--name-only', `${tip}:${AUDITS_DIR}/${id}`], {allowFailure: true})
  if (listing.exitCode !== 0) return []
  const out: Array<Record<string, unknown>> = []
  const names = listing.stdout.split('\n')
  for (const name of names.filter((n) => n.endsWith('.md')).sort()) {
    const file = `${AUDITS_DIR}/${id}/${name}`
    const text = (await ws.repo.readFileAt(tip, file))?.toString('utf8') ?? ''
    const detailsName = sidecarPath(name)
    const details = names.includes(detailsName) ? (await ws.repo.readFileAt(tip, `${AUDITS_DIR}/${id}/${detailsName}`))?.toString('utf8') : undefined
    const front = loadAuditRecord(text, file, (path) => (path === `${AUDITS_DIR}/${id}/${detailsName}` ? details : undefined))
    out.push({...front, file})
  }
  return out
}

registerAuditStats(async (ws) => {
  const snap = await ws.currentSnapshot()
  let backlog = 0
  let audited = 0
  let failed = 0
  for (const record of snap.nodes.values()) {
    if (record.node?.status !== 'proven_accepted' || record.node.sweep) continue
    const audits = await listAudits(ws, record.id).catch(() => [])
    if (audits.length === 0) backlog++
    else {
      audited++
      if (audits[audits.length - 1]!.verdict === 'FAIL') failed++
    }
  }
  return {backlog, failedRate: audited ? failed / audited : null}
})
