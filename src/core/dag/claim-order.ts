import type {NodeFile} from '../schemas/index.js'
import type {DerivedKind, NodeRecord, Snapshot, SnapshotDelta} from '../state/store.js'
import {compareClaimOrder} from './scheduler.js'

const queued = (node: NodeFile | undefined): node is NodeFile => node?.status === 'pending' && !node.sweep

/**
 * The pending nodes of a snapshot in claim order (sweeps left out: they are
 * expanded, never run). Kept by the state store from claim to claim: a claim
 * changes one node, so the order is mended at that node instead of sorting
 * 10,000 nodes again.
 */
export const claimOrder: DerivedKind<readonly NodeFile[]> = {
  build(snap: Snapshot): readonly NodeFile[] {
    const order: NodeFile[] = []
    for (const record of snap.nodes.values()) if (queued(record.node)) order.push(record.node)
    return order.sort(compareClaimOrder)
  },

  update(prev: readonly NodeFile[], snap: Snapshot, delta: SnapshotDelta): readonly NodeFile[] {
    // each mended node is a splice of the whole order: past a few, sorting again costs less (a fetch of many changes)
    if (delta.ids.length > 64 && delta.ids.length * 8 > prev.length) return claimOrder.build(snap)
    const order = prev.slice()
    for (const id of new Set(delta.ids)) {
      const before = delta.from.get(id)?.node
      const after = delta.to.get(id)?.node
      if (before === after) continue
      if (queued(before)) {
        const at = lowerBound(order, before)
        if (order[at] === before) order.splice(at, 1)
        // not where the order says: the order was not this snapshot's; start again
        else return claimOrder.build(snap)
      }
      if (queued(after)) order.splice(lowerBound(order, after), 0, after)
    }
    return order
  },
}

/** The first position whose node comes at or after `node` in claim order. */
function lowerBound(order: readonly NodeFile[], node: NodeFile): number {
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareClaimOrder(order[mid]!, node) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The running nodes of each team, mended at the nodes a commit changed. */
export const runningByTeam: DerivedKind<ReadonlyMap<string, number>> = {
  build(snap: Snapshot): ReadonlyMap<string, number> {
    const running = new Map<string, number>()
    for (const record of snap.nodes.values()) count(running, record, 1)
    return running
  },

  update(prev: ReadonlyMap<string, number>, _snap: Snapshot, delta: SnapshotDelta): ReadonlyMap<string, number> {
    const running = new Map(prev)
    for (const id of new Set(delta.ids)) {
      count(running, delta.from.get(id), -1)
      count(running, delta.to.get(id), 1)
    }
    return running
  },
}

function count(running: Map<string, number>, record: NodeRecord | undefined, by: 1 | -1): void {
  const node = record?.node
  if (node?.status !== 'running') return
  const now = (running.get(node.team) ?? 0) + by
  if (now === 0) running.delete(node.team)
  else running.set(node.team, now)
}

const waitsOnRequirements = (node: NodeFile | undefined): boolean => node?.status === 'pending' && node.requires.length > 0

/**
 * The ids of the pending nodes that have requirements: the only ones a verdict
 * can leave blocked (scheduler.ts, blockedDependents). Mended at the nodes a
 * commit changed, so a verdict does not look at all 10,000 nodes.
 */
export const waitingOnRequirements: DerivedKind<ReadonlySet<string>> = {
  build(snap: Snapshot): ReadonlySet<string> {
    const waiting = new Set<string>()
    for (const [id, record] of snap.nodes) if (waitsOnRequirements(record.node)) waiting.add(id)
    return waiting
  },

  update(prev: ReadonlySet<string>, _snap: Snapshot, delta: SnapshotDelta): ReadonlySet<string> {
    let waiting: Set<string> | undefined
    for (const id of new Set(delta.ids)) {
      const now = waitsOnRequirements(delta.to.get(id)?.node)
      if (now === prev.has(id)) continue
      waiting ??= new Set(prev)
      if (now) waiting.add(id)
      else waiting.delete(id)
    }
    return waiting ?? prev
  },
}
