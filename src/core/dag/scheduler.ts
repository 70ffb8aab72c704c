import type {FileChange} from '../git/tree-edit.js'
import type {ConfigFile, NodeFile} from '../schemas/index.js'
import type {NodeRecord, Snapshot} from '../state/store.js'
import {transition} from './lifecycle.js'

export type NothingClaimableReason = 'empty' | 'blocked' | 'budget_exhausted'

export interface ClaimFilter {
  team?: string
  /** ids this worker must not take (their node.yaml edited and not committed in its checkout: views/local-edits.ts) */
  exclude?: ReadonlySet<string>
}

export interface Candidates {
  /** claimable nodes, best first: higher priority, then first created (only the best `limit`, when one is given) */
  ready: NodeFile[]
  /** why nothing is claimable when `ready` is empty */
  reason: NothingClaimableReason
  detail: string
}

/** Extra admission checks (teams' waits_for and max_parallel, budget) plugged in by later layers. */
export interface AdmissionPolicy {
  admit(node: NodeFile, snap: Snapshot): string | undefined
  /** a reason that stops every claim (e.g. budget exhausted) */
  globalBlock?(snap: Snapshot): {reason: NothingClaimableReason; detail: string} | undefined
}

/** The statuses of a requirement that can never be accepted without running again: its dependents are blocked. */
export const FAILED: ReadonlySet<string> = new Set(['proven_rejected', 'inconclusive', 'blocked', 'cancelled'])

/** Whether every requirement of `node` is accepted; 'failed' when one can never be. */
export function requirementsState(node: NodeFile, nodes: ReadonlyMap<string, NodeRecord>): 'met' | 'waiting' | {failed: string} {
  let waiting = false
  for (const req of node.requires) {
    const status = nodes.get(req)?.node?.status
    if (status === 'proven_accepted') continue
    if (status && FAILED.has(status)) return {failed: `requirement ${req} ended ${status}`}
    waiting = true
  }
  return waiting ? 'waiting' : 'met'
}

/** Only the best `limit` claimable nodes, found by walking `order`: the snapshot's pending nodes in claim order (claim-order.ts). */
export interface BestOf {
  order: readonly NodeFile[]
  limit: number
}

/**
 * The claimable nodes of a snapshot and, when there are none, why. With
 * `best`, only the first few: a claim needs the first (or one of the first few
 * after a lost race), and walking the claim order from the top costs a few
 * nodes at 10,000 where the full pass scans and sorts them all.
 */
export function findCandidates(
  snap: Snapshot,
  _config: ConfigFile,
  filter: ClaimFilter,
  policy?: AdmissionPolicy,
  best?: BestOf,
): Candidates {
  const global = policy?.globalBlock?.(snap)
  if (global) return {ready: [], ...global}
  if (best) {
    const ready = walkOrder(snap, filter, policy, best)
    // nothing claimable: the full pass below says why
    if (ready.length > 0) return {ready, reason: 'empty', detail: ''}
  }
  const ready: NodeFile[] = []
  let pending = 0
  const held: string[] = []
  for (const record of snap.nodes.values()) {
    const node = record.node
    if (node?.status !== 'pending' || node.sweep || (filter.team && node.team !== filter.team)) continue
    pending++
    // a node left out here (its file edited in this checkout) is pending all the same: "no pending node" would be untrue
    if (filter.exclude?.has(node.id)) {
      held.push(`${node.id} (its node.yaml has uncommitted edits in this checkout)`)
      continue
    }
    const reqs = requirementsState(node, snap.nodes)
    if (reqs !== 'met') {
      held.push(`${node.id} (${reqs === 'waiting' ? 'waiting for requirements' : reqs.failed})`)
      continue
    }
    const refusal = policy?.admit(node, snap)
    if (refusal) {
      held.push(`${node.id} (${refusal})`)
      continue
    }
    ready.push(node)
  }
  ready.sort(compareClaimOrder)
  if (ready.length > 0) return {ready, reason: 'empty', detail: ''}
  if (pending === 0) return {ready, reason: 'empty', detail: filter.team ? `no pending node in team ${filter.team}` : 'no pending node'}
  return {
    ready,
    reason: 'blocked',
    detail: `${pending} pending node(s) cannot start yet: ${held.slice(0, 5).join('; ')}${held.length > 5 ? '; ...' : ''}`,
  }
}

/** The first `limit` claimable nodes of `order` (the same as the full pass keeps). */
function walkOrder(snap: Snapshot, filter: ClaimFilter, policy: AdmissionPolicy | undefined, best: BestOf): NodeFile[] {
  const ready: NodeFile[] = []
  for (const node of best.order) {
    if (!admissible(node, filter) || requirementsState(node, snap.nodes) !== 'met' || policy?.admit(node, snap)) continue
    ready.push(node)
    if (ready.length >= best.limit) break
  }
  return ready
}

const admissible = (node: NodeFile, filter: ClaimFilter): boolean =>
  (!filter.team || node.team === filter.team) && !filter.exclude?.has(node.id)

/** Higher priority first, then first created (seeding order within a seed), then by id: the same order on every machine, whatever its locale. */
export function compareClaimOrder(a: NodeFile, b: NodeFile): number {
  return b.priority - a.priority || byCodeUnits(a.created_at, b.created_at) || (a.seq ?? 0) - (b.seq ?? 0) || byCodeUnits(a.id, b.id)
}

/**
 * Strings in code-unit order, the order every machine agrees on. Not localeCompare: it is slow (a claim sorts every
 * ready node) and orders differently from one locale to another (under da_DK "aa" sorts after "ab").
 */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Pending nodes that can never start because a requirement ended without being
 * accepted, transitively: blocking one makes its own dependents blocked too.
 * `overrides` are node states decided in the same commit (e.g. the new verdict).
 */
export function blockedDependents(
  snap: Snapshot,
  overrides: Map<string, NodeFile>,
  /** the ids of every pending node with requirements (waitingOnRequirements); without it every node is looked at */
  waiting?: ReadonlySet<string>,
): Array<{node: NodeFile; reason: string}> {
  const blockedNow = new Map<string, NodeFile>()
  const current = (id: string) => blockedNow.get(id) ?? overrides.get(id) ?? snap.nodes.get(id)?.node
  const ids = waiting ? new Set([...waiting, ...overrides.keys()]) : new Set([...snap.nodes.keys(), ...overrides.keys()])
  const candidates: NodeFile[] = []
  for (const id of ids) {
    const node = current(id)
    if (node?.status === 'pending' && node.requires.length > 0) candidates.push(node)
  }
  const blocked: Array<{node: NodeFile; reason: string}> = []
  for (let changed = true; changed; ) {
    changed = false
    for (const node of candidates) {
      if (blockedNow.has(node.id)) continue
      for (const req of node.requires) {
        const status = current(req)?.status
        if (status && FAILED.has(status)) {
          const reason = `requirement ${req} ended ${status}`
          blocked.push({node, reason})
          blockedNow.set(node.id, {...node, status: 'blocked', reason})
          changed = true
          break
        }
      }
    }
  }
  return blocked
}

/** Adds the node files of the dependents that `overrides` leave blocked to a change; returns their ids. */
export function blockDependents(
  snap: Snapshot,
  overrides: Map<string, NodeFile>,
  files: Map<string, FileChange>,
  waiting?: ReadonlySet<string>,
): string[] {
  return blockedDependents(snap, overrides, waiting).map((b) => {
    const [path, text] = transition(b.node, {kind: 'block', reason: b.reason})
    files.set(path, text)
    return b.node.id
  })
}
