import type {NodeFile, VerdictFile} from '../schemas/index.js'
import {readableNode, type Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {readNodeAudits} from '../auditor/reports.js'
import {staleNodes, type StaleInput} from '../dag/inputs.js'
import {problemEntry, type StatusSummary} from './status.js'
import {handChangeOf, handChangesFix} from '../state/hand-changes.js'
import {parentId} from '../state/ids.js'

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

/**
 * A node's lineage parent, as `rigor graph` draws it: its `parent` field, or else its id's prefix when a node has
 * that id (ids are lineage paths: a root seeded as trend/momentum beside trend descends from it).
 */
function lineageParent(snap: Snapshot, node: Pick<NodeFile, 'id' | 'parent'>): string | undefined {
  if (node.parent !== undefined) return node.parent
  const prefix = parentId(node.id)
  return prefix !== undefined && snap.nodes.has(prefix) ? prefix : undefined
}

/** A node's ancestors, root first: its lineage parent, or the node whose rule spawned it. */
export function lineageOf(snap: Snapshot, node: Pick<NodeFile, 'id' | 'parent' | 'spawned_by'>): string[] {
  const lineage: string[] = []
  const up = (n: Pick<NodeFile, 'id' | 'parent' | 'spawned_by'>) => lineageParent(snap, n) ?? n.spawned_by?.from
  for (let cur = up(node); cur && cur !== node.id && !lineage.includes(cur); ) {
    lineage.unshift(cur)
    const n = snap.nodes.get(cur)?.node
    cur = n ? up(n) : undefined
  }
  return lineage
}

/** Every node's children (nodes whose lineage parent it is, or that one of its rules spawned), sorted; one pass over the state. */
export function childrenIndex(snap: Snapshot): Map<string, string[]> {
  const children = new Map<string, Set<string>>()
  const add = (from: string | undefined, id: string) => {
    if (from === undefined || from === id) return
    const set = children.get(from) ?? new Set<string>()
    set.add(id)
    children.set(from, set)
  }
  for (const record of snap.nodes.values()) {
    if (!record.node) continue
    add(lineageParent(snap, record.node), record.id)
    add(record.node.spawned_by?.from, record.id)
  }
  return new Map([...children].map(([id, set]) => [id, [...set].sort()]))
}
