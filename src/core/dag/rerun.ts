import {CheckFailedError, NothingToDoError} from '../errors.js'
import type {FileChange} from '../git/tree-edit.js'
import {outDirPath, verdictFilePath} from '../state/layout.js'
import {readableNode} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {ALLOWED_FROM, transition} from './lifecycle.js'
import {FAILED} from './scheduler.js'
import type {NodeFile} from '../schemas/index.js'
import type {NodeRecord, Snapshot} from '../state/store.js'
import {nodeSpendOn, utcDay} from './budget.js'
import {inputSources, staleNodes} from './inputs.js'
import {sweepGroupNamed} from './sweeps.js'

export interface RerunResult {
  id: string
  /** the status the node had, whose verdict the history keeps */
  was: string
  /** finished nodes that read this node's outputs: stale once the new verdict differs */
  dependents: string[]
  /** nodes it had blocked (directly or through another blocked node), pending again: they wait for it */
  unblocked: string[]
  /**
   * accepted upstreams it reads that are stale themselves (an upstream of theirs changed since they ran): run now, it
   * reads their outputs, made from the old bytes, and is stale again as soon as it ends
   */
  stale_inputs: Array<{from: string; why: string}>
}

/**
 * Puts a finished node back to pending so it runs again (a stage retrained on
 * new data, a flaky tool): its verdict and out/ leave the tree in the same
 * commit and stay in the history. Nodes that read its outputs keep their
 * verdicts and are shown stale once the new outputs differ.
 */
export async function rerunNode(ws: Workspace, id: string, opts: {by: string; reason?: string; now?: Date}): Promise<RerunResult> {
  const outcome = await ws.commit<RerunResult>(async (snap) => {
    const record = readableNode(snap, id)
    const node = record.node
    if (node.sweep) throw sweepGroupNamed(snap, id, {problem: 'which never runs', fix: 'rerun one of its variants'})
    if (!ALLOWED_FROM.rerun.includes(node.status)) {
      const problem = `node ${id} is ${node.status}; only a finished run (${ALLOWED_FROM.rerun.join(', ')}) can run again`
      // asked twice (two people, a retried script): it runs at its next claim already, so nothing is left to do
      if (node.status === 'pending')
        throw new NothingToDoError(
          problem,
          'already_pending',
          `it is pending already: it runs when claimed (rigor work, or rigor run ${id})`,
        )
      throw new CheckFailedError(problem, {fix: `wait for its verdict, or stop the run (rigor cancel ${id}) and then rerun it`})
    }
    const failed = node.status === 'blocked' ? failedRequirement(snap, node.requires) : undefined
    if (failed)
      throw new CheckFailedError(
        `node ${id} is blocked: its requirement ${failed.id} ended ${failed.status}, so it would be blocked again at once`,
        {fix: `rerun the requirement first (rigor rerun ${failed.id}): the nodes it blocked wait for it again`},
      )
    const reason = opts.reason ?? `rerun by ${opts.by}`
    const files = new Map<string, FileChange>()
    const spent = await spentToday(ws, record, opts.now ?? new Date())
    const [path, text] = transition(node, {kind: 'rerun', reason, spent})
    files.set(path, text)
    files.set(verdictFilePath(id), null)
    files.set(outDirPath(id), null)
    const dependents = [...snap.nodes.values()].filter((r) => r.node?.inputs?.some((i) => i.from === id) && r.verdictOid).map((r) => r.id)
    const unblocked = unblockedBy(snap, id)
    for (const waiting of unblocked) {
      const [blockedPath, blockedText] = transition(waiting, {kind: 'rerun', reason: `waiting again: ${id} runs again`})
      files.set(blockedPath, blockedText)
    }
    const ids = unblocked.map((n) => n.id)
    const staleInputs = await staleUpstreams(ws, snap, node)
    return {
      files,
      message: {action: 'rerun', subject: `rerun ${id} (was ${node.status})`, nodes: [id, ...ids], worker: opts.by},
      result: {id, was: node.status, dependents, unblocked: ids, stale_inputs: staleInputs},
    }
  })
  return outcome.result
}

/**
 * What the node's runs cost today (UTC) once its verdict leaves the tree: the verdict's cost if it finished today,
 * plus what earlier reruns today carried. The day's budget sums the verdicts in the tree, so without it a rerun would
 * hand back money already spent and let the day pass budget.daily_usd.
 */
async function spentToday(ws: Workspace, record: NodeRecord, now: Date): Promise<NodeFile['spent']> {
  const day = utcDay(now)
  const verdict = record.verdictOid ? await ws.store.verdict(record).catch(() => undefined) : undefined
  const usd = nodeSpendOn(day, record.node, verdict)
  return usd > 0 ? {day, usd} : undefined
}

/** The accepted upstreams `node` reads whose own verdicts are stale (inputs.ts), each with the first reason. */
async function staleUpstreams(ws: Workspace, snap: Snapshot, node: NodeFile): Promise<RerunResult['stale_inputs']> {
  const sources = inputSources(node.inputs).filter((from) => snap.nodes.get(from)?.node?.status === 'proven_accepted')
  if (sources.length === 0) return []
  const stale = await staleNodes(ws, snap)
  return sources.flatMap((from) => {
    const why = stale.get(from)?.[0]?.why
    return why === undefined ? [] : [{from, why}]
  })
}

/** The first requirement that ended without being accepted and is not running again: what keeps a blocked node blocked. */
function failedRequirement(snap: Snapshot, requires: readonly string[]): {id: string; status: string} | undefined {
  for (const req of requires) {
    const status = snap.nodes.get(req)?.node?.status
    if (status && FAILED.has(status)) return {id: req, status}
  }
  return undefined
}

/**
 * The blocked nodes that wait again once `id` is pending: each blocked node
 * that requires it, or a node unblocked here, and no requirement that still
 * failed (blocking is transitive, so unblocking is too), in the order found.
 */
function unblockedBy(snap: Snapshot, id: string): NodeFile[] {
  const pendingNow = new Set([id])
  const blocked = [...snap.nodes.values()].flatMap((r) => (r.node?.status === 'blocked' && r.node.requires.length > 0 ? [r.node] : []))
  const status = (req: string) => (pendingNow.has(req) ? 'pending' : snap.nodes.get(req)?.node?.status)
  const unblocked: NodeFile[] = []
  for (let changed = true; changed; ) {
    changed = false
    for (const node of blocked) {
      if (pendingNow.has(node.id) || !node.requires.some((req) => pendingNow.has(req))) continue
      if (node.requires.some((req) => FAILED.has(status(req) ?? ''))) continue
      pendingNow.add(node.id)
      unblocked.push(node)
      changed = true
    }
  }
  return unblocked
}
