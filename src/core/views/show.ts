import type {NodeFile, VerdictFile} from '../schemas/index.js'
import {readableNode, type Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {readNodeAudits} from '../auditor/reports.js'
import {staleNodes, type StaleInput} from '../dag/inputs.js'
import {problemEntry, type StatusSummary} from './status.js'
import {handChangeOf, handChangesFix} from '../state/hand-changes.js'

/** A file of the node that cannot be used, why, and how to put it right. */
export type NodeProblem = StatusSummary['problems'][number] & {fix: string}

export interface NodeDetails extends NodeFile {
  verdict: VerdictFile | null
  audits: Array<Record<string, unknown>>
  lineage: string[]
  children: string[]
  /** inputs whose upstream changed since this node ran, or is stale itself (its verdict no longer describes them) */
  stale: StaleInput[]
  /** nodes that read this node's outputs through inputs: */
  read_by: string[]
  /** its verdict file, when it cannot be used (corrupt checksum, invalid content): the node is shown without it */
  problems: NodeProblem[]
}

/**
 * One node with its verdict, audits, lineage (root first) and children. A
 * verdict file that cannot be used is left out and named in `problems`: the
 * node is still worth seeing, and its file says what to restore.
 */
export async function showNode(ws: Workspace, id: string): Promise<NodeDetails> {
  const snap = await ws.currentSnapshot()
  const record = readableNode(snap, id)
  const node = record.node
  const problem = await ws.store.verdictProblem(record)
  const verdict = problem ? null : ((await ws.store.verdict(record)) ?? null)
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
    problems: problem ? [{...problemEntry(problem), fix: await restoreFix(ws, snap, problem.file)}] : [],
  }
}

/** How to put a state file back: the command that restores what rigor last wrote there, when a commit not rigor's changed it. */
async function restoreFix(ws: Workspace, snap: Snapshot, file: string): Promise<string> {
  const change = snap.commit ? await handChangeOf(ws.repo, snap.commit, file) : undefined
  return change
    ? handChangesFix([change])
    : `restore the file from git history (git log -- ${file} lists its versions) or re-create it with rigor; rigor verify lists every such file`
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
