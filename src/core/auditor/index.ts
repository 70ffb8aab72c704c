import {committedDataFile} from '../data-files.js'
import {loadMarkdownDocument, renderMarkdownDocument} from '../documents.js'
import type {CommitSigner} from '../git/signing.js'
import {independenceProblem} from '../isolation.js'
import {assertListedAuditor} from '../signing-key.js'
import {readBlobs} from '../tree-files.js'
import {CheckFailedError, InputError} from '../errors.js'
import {nowIso} from '../nodes.js'
import {parentId} from '../ids.js'
import {AuditFrontMatter, type AuditIssue, type NodeFile} from '../schemas/index.js'
import {problemError, type Snapshot} from '../store.js'
import {registerAuditStats} from '../supervise.js'
import type {Workspace} from '../workspace.js'
import {costsCheck, dsrCheck, pboCheck, permutationCheck, seedsCheck, truncationCheck, type CheckContext, type CheckOutcome} from './checks.js'
import {parseTable, seriesByDate} from './csv.js'
import {rerunNode} from './rerun.js'
import {auditBody, equityCurveSvg} from './report.js'
import {auditThresholds} from './thresholds.js'

export const AUDITS_DIR = 'audits'

/** An auditor may not audit what it ran, seeded or designed (an agent designer counts): one rule, shared with the deploy gate. */
export const isolationProblem = (node: NodeFile, worker: string | undefined, auditor: string): string | undefined => independenceProblem(node, worker, auditor)

/** The node's trials: the nodes that share its parent (or, for a root, its team and first id segment) and finished. */
async function family(ws: Workspace, snap: Snapshot, node: NodeFile): Promise<Array<{id: string; returns: Map<string, number>}>> {
  const parent = node.parent ?? parentId(node.id)
  const out: Array<{id: string; returns: Map<string, number>}> = []
  for (const record of snap.nodes.values()) {
    const n = record.node
    if (!n || n.sweep || !record.verdictOid) continue
    const sameFamily = (n.parent ?? parentId(n.id)) === parent && (parent !== undefined || n.team === node.team)
    if (!sameFamily || (n.status !== 'proven_accepted' && n.status !== 'proven_rejected')) continue
    const text = await ws.repo.readFileAt(snap.commit!, `experiments/${n.id}/out/returns.csv`)
    if (text) out.push({id: n.id, returns: seriesByDate(text.toString('utf8'))})
  }
  return out
}

export interface AuditOutcome {
  front: Omit<AuditFrontMatter, 'checksum'>
  path: string
  chart: string
  commit?: string
}

/**
 * The Independent Auditor: re-runs the node's own command on truncated and
 * return-shuffled copies of its data, at higher costs and with other seeds, and
 * deflates its Sharpe ratio for its family of trials. Writes
 * audits/<id>/<date>-<auditor>.md (front matter + readable body) and an SVG
 * equity curve beside it, in one commit.
 */
export async function auditNode(ws: Workspace, id: string, opts: {auditor: string; now?: Date; signer?: CommitSigner}): Promise<AuditOutcome> {
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
  // with auditors: in rigor.yaml, only a listed auditor signing with their own key may audit
  await assertListedAuditor(ws.repo, snap.commit, opts.auditor, opts.signer)
  const isolation = isolationProblem(node, verdict.worker, opts.auditor)
  if (isolation) throw new CheckFailedError(`refused: ${isolation}; an auditor must be independent of the work it audits`, {fix: 'audit with another --auditor name'})
  const returnsText = await ws.repo.readFileAt(snap.commit!, `experiments/${id}/out/returns.csv`)
  if (!returnsText) throw new CheckFailedError(`node ${id} has no out/returns.csv to audit`, {fix: 'its runner must write returns.csv (date,return) into RIGOR_OUT'})
  const returnsByDate = seriesByDate(returnsText.toString('utf8'))
  const positionsText = await ws.repo.readFileAt(snap.commit!, `experiments/${id}/out/positions.csv`)
  // the committed data, never the working tree's copy
  const dataFile = node.data ? await committedDataFile(ws.repo, snap.commit, node.data, {file: `experiments/${id}/node.yaml`, field: 'data'}) : undefined
  const data = dataFile ? parseTable((await readBlobs(ws.repo, [dataFile.oid]))[0]!.toString('utf8')) : undefined
  const base = {node, root: ws.root, defaultTimeoutMs: ws.config.runner.default_timeout, limits: ws.config.runner.limits, runner: ws.config.runner, warn: (m: string) => ws.warnOnce(m)}
  const ctx: CheckContext = {
    base,
    data,
    returns: [...returnsByDate.values()],
    positions: positionsText ? seriesByDate(positionsText.toString('utf8')) : new Map(),
    family: await family(ws, snap, node),
    costBps: verdict.metrics.cost_bps ?? (typeof node.params.cost_bps === 'number' ? node.params.cost_bps : 5),
    t: thresholds,
    run: (overrides) => rerunNode({...base, ...overrides}),
  }
  const outcomes: CheckOutcome[] = [
    await truncationCheck(ctx),
    await permutationCheck(ctx),
    dsrCheck(ctx),
    pboCheck(ctx),
    await costsCheck(ctx),
    await seedsCheck(ctx),
  ]
  const checks = outcomes.map((o) => o.check)
  const issues: AuditIssue[] = outcomes.flatMap((o, i) => (o.issue ? [{id: `A${i + 1}`, ...o.issue}] : []))
  const verdictText = checks.some((c) => c.result === 'fail') ? 'FAIL' : 'PASS'
  const day = nowIso(now).slice(0, 10)
  const path = `${AUDITS_DIR}/${id}/${day}-${opts.auditor}.md`
  const chart = `${day}-${opts.auditor}.svg`
  const front: Omit<AuditFrontMatter, 'checksum'> = {
    verdict: verdictText,
    auditor: opts.auditor,
    audited_at: nowIso(now),
    covers: {node: id, commit: snap.commit!, artifacts: verdict.artifacts},
    checks,
    issues,
  }
  const body = auditBody({id, verdict: verdictText, auditor: opts.auditor, checks, issues, chart})
  const svg = equityCurveSvg([...returnsByDate.entries()], `${id}: out-of-sample equity`)
  const outcome = await ws.commit(async () => ({
    files: new Map([
      [path, renderMarkdownDocument(front, body)],
      [`${AUDITS_DIR}/${id}/${chart}`, svg],
    ]),
    message: {action: 'audit', subject: `audit ${id} ${verdictText} by ${opts.auditor}`, nodes: [id], worker: opts.auditor, trailers: {Verdict: verdictText}},
    result: undefined,
  }), {signer: opts.signer})
  return {front, path, chart: `${AUDITS_DIR}/${id}/${chart}`, commit: outcome.commit}
}

/** Every audit report of a node at the state tip, oldest first. */
export async function listAudits(ws: Workspace, id: string): Promise<Array<Record<string, unknown>>> {
  const tip = await ws.readTip()
  if (!tip) return []
  const listing = await ws.repo.git(['ls-tree', '--name-only', `${tip}:${AUDITS_DIR}/${id}`], {allowFailure: true})
  if (listing.exitCode !== 0) return []
  const out: Array<Record<string, unknown>> = []
  for (const name of listing.stdout.split('\n').filter((n) => n.endsWith('.md')).sort()) {
    const file = `${AUDITS_DIR}/${id}/${name}`
    const text = (await ws.repo.readFileAt(tip, file))?.toString('utf8') ?? ''
    const {front} = loadMarkdownDocument(AuditFrontMatter, text, file)
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
