import type {NodeFile, VerdictFile} from '../schemas/index.js'
import {readableNode, type Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {readNodeAudits} from '../auditor/reports.js'
import {staleNodes, type StaleInput} from '../dag/inputs.js'

export interface NodeDetails extends NodeFile {
  verdict: VerdictFile | null
  audits: Array<Record<string, unknown>>
  lineage: string[]
  children: string[]
  /** inputs whose upstream changed since this node ran, or is stale itself (its verdict no longer describes them) */
  stale: StaleInput[]
  /** nodes that read this node's outputs through inputs: */
  read_by: string[]
}

/** One node with its verdict, audits, lineage (root first) and children. */
export async function showNode(ws: Workspace, id: string): Promise<NodeDetails> {
  const snap = await ws.currentSnapshot()
  const record = readableNode(snap, id)
  const node = record.node
  const verdict = (await ws.store.verdict(record)) ?? null
  const readBy = [...snap.nodes.values()]
    .filter((r) => r.node?.inputs?.some((i) => i.from === id))
    .map((r) => r.id)
    .sort()
  return {
    ...node,
    verdict,
    // newest first, with the file each came from
    audits: (await readNodeAudits(ws.repo, snap.tree, id)).audits.map((a) => ({...a.front, file: a.file})),
    lineage: lineageOf(snap, node),
    children: childrenIndex(snap).get(id) ?? [],
    // through its upstreams: a node that read a stale node's outputs is stale too
    stale: verdict && node.inputs?.length ? ((await staleNodes(ws, snap)).get(id) ?? []) : [],
    read_by: readBy,
  }
}

/** A node's ancestors, root first: its lineage parent, or the node whose rule spawned it. */
export function lineageOf(snap: Snapshot, node: Pick<NodeFile, 'parent' | 'spawned_by'>): string[] {
  const lineage: string[] = []
  for (let cur = node.parent ?? node.spawned_by?.from; cur && !lineage.includes(cur); ) {
    lineage.unshift(cur)
    const n = snap.nodes.get(cur)?.node
    cur = n?.parent ?? n?.spawned_by?.from
  }
  return lineage
}

/** Every node's children (nodes whose parent it is, or that one of its rules spawned), sorted; one pass over the state. */
export function childrenIndex(snap: Snapshot): Map<string, string[]> {
  const children = new Map<string, string[]>()
  const add = (from: string | undefined, id: string) => {
    if (from === undefined) return
    const list = children.get(from) ?? []
    if (!list.includes(id)) list.push(id)
    children.set(from, list)
  }
  for (const record of snap.nodes.values()) {
    if (!record.node) continue
    add(record.node.parent, record.id)
    add(record.node.spawned_by?.from, record.id)
  }
  for (const list of children.values()) list.sort()
  return children
}
