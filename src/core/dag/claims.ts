import ms from 'ms'
import type {AdmissionPolicyFactory} from './admission.js'
import {CheckFailedError, NothingToDoError} from '../errors.js'
import {
  blockedDependents,
  findCandidates,
  requirementsState,
  type AdmissionPolicy,
  type ClaimFilter,
  type NothingClaimableReason,
} from './scheduler.js'
import type {NodeFile} from '../schemas/index.js'
import {someIds} from '../state/ids.js'
import {readableNode, type Snapshot} from '../state/store.js'
import type {PlannedChange} from '../state/transaction.js'
import type {Workspace} from '../state/workspace.js'
import type {FileChange} from '../git/tree-edit.js'
import {transition} from './lifecycle.js'
import {claimOrder} from './claim-order.js'

export interface ClaimOptions extends ClaimFilter {
  worker: string
  /** who may start (teams, budget): from the composition root, flows/policies.ts */
  admission: AdmissionPolicyFactory
  now?: () => Date
  /**
   * Told the nodes a claim commit is about to take, each time one is decided (again after a lost race): from then
   * until the claim returns, its push may land even if this process dies (see HeldClaims.claiming)
   */
  onDecided?: (nodes: readonly NodeFile[]) => void
}

export type ClaimResult =
  | {claimed: NodeFile; conflicts: number}
  | {claimed: undefined; reason: NothingClaimableReason; detail: string; conflicts: number}
type Decided = {claimed: NodeFile} | {claimed: undefined; reason: NothingClaimableReason; detail: string}

/**
 * The commit that moves `node` to running for `worker` with a fresh lease.
 * `lostRaces`: how often another writer moved the branch first while this
 * claim was being made; recorded as Rigor-Conflicts, the one trace of claim
 * conflicts in the history (`rigor metrics` counts them).
 */
function claimChange(ws: Workspace, node: NodeFile, opts: ClaimOptions, lostRaces: number): PlannedChange<{claimed: NodeFile}> {
  const started = (opts.now ?? (() => new Date()))()
  const [path, text, claimed] = transition(node, {kind: 'claim', worker: opts.worker, now: started, leaseMs: ws.config.lease.duration})
  return {
    files: new Map([[path, text]]),
    message: {
      action: 'claim',
      subject: `claim ${node.id}`,
      nodes: [node.id],
      worker: opts.worker,
      trailers: {Attempt: String(claimed.attempt), ...(lostRaces > 0 ? {Conflicts: String(lostRaces)} : {})},
    },
    result: {claimed},
    documents: new Map([[path, claimed]]),
  }
}

/**
 * After a lost race, pick at random among the first few nodes of the top
 * priority: workers that all reach for the single best node collide again and
 * again, while priorities still hold and the order stays first-come within a few.
 */
function spreadPick(ready: NodeFile[]): NodeFile {
  const top = ready.filter((n, i) => i < SPREAD && n.priority === ready[0]!.priority)
  return top[Math.floor(Math.random() * top.length)]!
}
const SPREAD = 8

/**
 * Moves the best claimable pending node to running for `worker`: one commit,
 * landed by compare-and-swap on the state branch, so no two workers ever hold one node.
 */
export async function claimNextNode(ws: Workspace, opts: ClaimOptions): Promise<ClaimResult> {
  // on a remote, decide on fresh state unless this process has just seen it: a claim built on a stale tip is a lost race for sure
  await ws.refreshUnlessFresh()
  const outcome = await ws.commit<Decided>(
    async (snap, attempt) => {
      ws.stateStillHere()
      const policy = await opts.admission(ws, snap)
      const found = findCandidates(snap, ws.config, opts, policy, {order: ws.store.derive(claimOrder, snap), limit: SPREAD})
      const best = found.ready[0]
      if (!best) return {result: {claimed: undefined, reason: found.reason, detail: found.detail}}
      const change = claimChange(ws, attempt === 0 ? best : spreadPick(found.ready), opts, attempt)
      opts.onDecided?.([change.result.claimed])
      return change
    },
    // lands with whatever else waits to be committed: one move of the branch (one push) for all of it
    {urgent: true, batch: true},
  )
  return {...outcome.result, conflicts: outcome.conflicts}
}

export type ClaimBatchResult =
  | {claimed: NodeFile[]; conflicts: number}
  | {claimed: []; reason: NothingClaimableReason; detail: string; conflicts: number}
type DecidedBatch = {claimed: NodeFile[]} | {claimed: []; reason: NothingClaimableReason; detail: string}

/**
 * Claims up to `count` of the best claimable nodes for `worker` in one commit
 * (one push, on a remote), each with its own lease; fewer when fewer are
 * claimable. Each further node is chosen against the state with the ones
 * before it already running, so team limits and the budget hold for the batch.
 * With `growTo`, each lost race adds a node to the batch, up to that many: a
 * commit that had to be rebuilt anyway carries more claims.
 */
export async function claimNextNodes(ws: Workspace, opts: ClaimOptions, count: number, growTo = count): Promise<ClaimBatchResult> {
  if (count <= 1 && growTo <= 1) {
    const one = await claimNextNode(ws, opts)
    return one.claimed ? {claimed: [one.claimed], conflicts: one.conflicts} : {...one, claimed: []}
  }
  await ws.refreshUnlessFresh()
  const outcome = await ws.commit<DecidedBatch>(
    async (snap, attempt) => {
      ws.stateStillHere()
      let view = snap
      const files = new Map<string, FileChange>()
      const documents = new Map<string, unknown>()
      const claimed: NodeFile[] = []
      const size = Math.min(Math.max(count, growTo), count + attempt)
      // the claim order of the view: the snapshot's, less each node this batch has claimed
      let order = ws.store.derive(claimOrder, snap)
      for (let i = 0; i < size; i++) {
        const policy = await opts.admission(ws, view)
        const found = findCandidates(view, ws.config, opts, policy, {order, limit: SPREAD})
        if (!found.ready[0]) {
          if (i === 0) return {result: {claimed: [], reason: found.reason, detail: found.detail}}
          break
        }
        // after a lost race the first pick spreads out, as a single claim's does
        const picked = attempt > 0 && i === 0 ? spreadPick(found.ready) : found.ready[0]
        order = order.filter((n) => n !== picked)
        const change = claimChange(ws, picked, opts, attempt)
        const node = change.result.claimed
        for (const [path, text] of change.files) files.set(path, text)
        for (const [path, doc] of change.documents!) documents.set(path, doc)
        claimed.push(node)
        const nodes = new Map(view.nodes)
        nodes.set(node.id, {...nodes.get(node.id)!, node})
        view = {...view, nodes}
      }
      const ids = claimed.map((n) => n.id)
      opts.onDecided?.(claimed)
      return {
        files,
        documents,
        message: {
          action: 'claim',
          subject: ids.length === 1 ? `claim ${ids[0]}` : `claim ${ids.length} nodes`,
          nodes: ids,
          worker: opts.worker,
          // Rigor-Conflicts: the races this commit lost first (rigor metrics counts them)
          trailers: {
            ...(ids.length === 1 ? {Attempt: String(claimed[0]!.attempt)} : {}),
            ...(attempt > 0 ? {Conflicts: String(attempt)} : {}),
          },
        },
        result: {claimed},
      }
    },
    // lands with whatever else waits to be committed: one move of the branch (one push) for all of it
    {urgent: true, batch: true},
  )
  return {...outcome.result, conflicts: outcome.conflicts}
}

/** Claims one named node for `worker`; refuses with the reason when it is not claimable. */
export async function claimNode(ws: Workspace, id: string, opts: ClaimOptions): Promise<NodeFile> {
  const outcome = await ws.commit(async (snap, attempt) => {
    ws.stateStillHere()
    const record = readableNode(snap, id)
    const policy = await opts.admission(ws, snap)
    const found = findCandidates(snap, ws.config, {}, policy)
    const node = found.ready.find((n) => n.id === id)
    if (!node) {
      throw new CheckFailedError(`node ${id} is not claimable (status ${record.node.status})`, {
        fix: record.node.sweep
          ? 'a sweep group holds variants and is never run: name one of its variants'
          : record.node.status === 'pending'
            ? `its requirements or team conditions are not met yet: ${whyNotClaimable(record.node, snap, policy) ?? found.detail}`
            : 'only pending nodes can be claimed',
      })
    }
    return claimChange(ws, node, opts, attempt)
  })
  return outcome.result.claimed
}

/** Why one pending node is not claimable now: the requirements it waits for, or what the admission policy says. */
function whyNotClaimable(node: NodeFile, snap: Snapshot, policy: Partial<AdmissionPolicy>): string | undefined {
  const global = policy.globalBlock?.(snap)
  if (global) return global.detail
  const reqs = requirementsState(node, snap.nodes)
  if (reqs !== 'met' && reqs !== 'waiting') return reqs.failed
  if (reqs === 'waiting') {
    const waiting = node.requires.filter((req) => snap.nodes.get(req)?.node?.status !== 'proven_accepted')
    return `waiting for ${waiting.map((req) => `${req} (${snap.nodes.get(req)?.node?.status ?? 'not in the DAG'})`).join(', ')} to be accepted`
  }
  return policy.admit?.(node, snap)
}

export function nothingClaimable(result: Extract<ClaimResult, {claimed: undefined}>): NothingToDoError {
  return new NothingToDoError(`nothing claimable (${result.reason}): ${result.detail}`, result.reason)
}

/**
 * Puts claims of `worker` back to pending, the attempt not counted: the one
 * place a claim is released (a stopping worker its own run, a cycle after its
 * crash everything its worker name still holds). `which` narrows the nodes; a
 * node no longer running for `worker` is left alone.
 */
export async function releaseHeld(ws: Workspace, worker: string, which: (node: NodeFile) => boolean, why: string): Promise<string[]> {
  return (await releaseHeldNodes(ws, worker, which, why)).released
}

/**
 * releaseHeld, saying which released nodes it blocked: a requirement that failed while the node was claimed (an
 * upstream rerun and rejected, or blocked itself) blocks it in the same commit, as it would have blocked it unclaimed,
 * rather than leaving it pending on a requirement that can never be accepted.
 */
export async function releaseHeldNodes(
  ws: Workspace,
  worker: string,
  which: (node: NodeFile) => boolean,
  why: string,
): Promise<{released: string[]; blocked: Map<string, string>}> {
  const outcome = await ws.commit(async (snap) => {
    const files = new Map<string, FileChange>()
    const overrides = new Map<string, NodeFile>()
    const released: string[] = []
    for (const record of snap.nodes.values()) {
      const node = record.node
      if (node?.status !== 'running' || node.worker !== worker || !which(node)) continue
      const [path, text, updated] = transition(node, {kind: 'release'})
      files.set(path, text)
      overrides.set(node.id, updated)
      released.push(node.id)
    }
    // only the released nodes are looked at: every other pending node was blocked when its requirement failed
    const blocked = new Map(blockedDependents(snap, overrides, new Set()).map((b) => [b.node.id, b.reason]))
    for (const [id, reason] of blocked) {
      const [path, text] = transition(overrides.get(id)!, {kind: 'block', reason})
      files.set(path, text)
    }
    const result = {released, blocked}
    if (files.size === 0) return {result}
    const subject = released.length === 1 ? `release ${released[0]}` : `release ${released.length} node(s) ${why}`
    const blockedNote = blocked.size ? `; blocked ${[...blocked.keys()].join(', ')}` : ''
    return {files, message: {action: 'release', subject: `${subject}${blockedNote}`, nodes: released, worker}, result}
  })
  return outcome.result
}

/**
 * The claims one worker holds now, by node id and attempt: from the commit that claims a node until the commit that
 * gives it up (its verdict, its release) lands, or the node is found taken back. What a worker that has to leave at
 * once (a second Ctrl-C) leaves behind, and after an error what it puts back.
 */
export class HeldClaims {
  /** each node's claim, told apart as lifecycle.sameClaim does: a rerun claimed again repeats the attempt, not the start */
  private readonly claims = new Map<string, Pick<NodeFile, 'attempt' | 'started_at'>>()
  /** the nodes of the claim commit being made: pushed, it may land although this process leaves before it hears so */
  private deciding: string[] = []

  hold(nodes: readonly NodeFile[]): void {
    for (const node of nodes) this.claims.set(node.id, {attempt: node.attempt, started_at: node.started_at})
  }

  /** The nodes the claim commit being made takes (ClaimOptions.onDecided); `[]` once it has returned. */
  claiming(nodes: readonly NodeFile[]): void {
    this.deciding = nodes.map((n) => n.id)
  }

  /** Nodes whose claim commit was under way and not yet heard of: held if it landed. */
  get maybeIds(): string[] {
    return this.deciding.filter((id) => !this.claims.has(id)).sort()
  }

  /** Gives up `id`; only that claim of it when `claim` is given (a later claim of the same node stays). */
  drop(id: string, claim?: NodeFile): void {
    if (claim === undefined || this.holds(claim)) this.claims.delete(id)
  }

  /** Whether this is the claim held (same node, same attempt, same start). */
  holds(node: NodeFile): boolean {
    const held = this.claims.get(node.id)
    return held !== undefined && held.attempt === node.attempt && held.started_at === node.started_at
  }

  get ids(): string[] {
    return [...this.claims.keys()].sort()
  }
}

/** What a worker leaving at once (a second signal) says of the claims it still holds, and how they come back. */
export function leftClaimedText(worker: string, ids: readonly string[], leaseMs: number, maybe: readonly string[] = []): string {
  if (ids.length === 0 && maybe.length === 0) return `left at once: ${worker} held no claim`
  return `left at once: ${claimsLeftText(worker, ids, leaseMs, maybe)}`
}

const names = (list: readonly string[]) => someIds(list)

/**
 * `the claims of <worker>: a, b`, and how claims a worker could not put back come back; `where` says where they are
 * still claimed when that is not plain (` on the rewound remote`).
 */
export function claimsLeftText(worker: string, ids: readonly string[], leaseMs: number, maybe: readonly string[] = [], where = ''): string {
  return (
    (ids.length > 0 ? `still claimed by ${worker}${where}: ${names(ids)}\n` : '') +
    // a push the remote received goes on there when the pushing process dies: the claim may have landed
    (maybe.length > 0
      ? `maybe claimed by ${worker} (its claim commit was on its way as it left; \`rigor show <id>\` tells): ${names(maybe)}\n`
      : '') +
    `They go back to pending once their lease expires (within ${ms(leaseMs)}) and \`rigor supervise\` runs: ` +
    'keep `rigor supervise` running, or run `rigor supervise --once` then'
  )
}

/**
 * What a worker stopped by a rewound remote says of the claims it held, read at the rewound `tip`: the claims the
 * rewind kept are still its own there and lapse with their lease; the ones it dropped are not claimed there at all (a
 * lease brings nothing back), unless the rewind is undone, which brings them back as claims.
 */
export async function claimsLeftAfterRewindText(ws: Workspace, worker: string, ids: readonly string[], tip: string): Promise<string> {
  const snap = await ws.snapshot(tip)
  const kept = ids.filter((id) => {
    const node = snap.nodes.get(id)?.node
    return node?.status === 'running' && node.worker === worker
  })
  const dropped = ids.filter((id) => !kept.includes(id))
  const leaseMs = ws.config.lease.duration
  return [
    kept.length > 0 ? claimsLeftText(worker, kept, leaseMs, [], ' on the rewound remote') : '',
    dropped.length > 0
      ? `not claimed on the rewound remote, whose tip dropped these claims of ${worker}: ${names(dropped)}. ` +
        `Taking the rewind leaves them as that tip has them; putting the state back brings the claims back, to go back to pending once their lease expires (within ${ms(leaseMs)}) and \`rigor supervise\` runs`
      : '',
  ]
    .filter(Boolean)
    .join('\n')
}
