import {compareTreeEntries, entryKey, FILE_MODE, serializeTree, TREE_MODE, type TreeEntry} from './objects.js'
import {treeLayout, type TreeRecord} from './tree-cache.js'
import type {Repo} from './repo.js'
import {InternalError} from '../errors.js'

/** New content for a path, or null to delete the file or directory there. */
export type FileChange = string | Buffer | null

/**
 * Builds a new tree from `baseTree` with `changes` applied (paths are
 * slash-separated, relative to the root), reading and writing only the trees
 * on the changed paths, so a commit costs the same at 10 or 10,000 nodes.
 */
export async function editTree(repo: Repo, baseTree: string | undefined, changes: Map<string, FileChange>): Promise<string> {
  const oid = await editLevel(
    repo,
    baseTree,
    [...changes].map(([path, content]) => [path.split('/'), content] as const),
  )
  return oid ?? repo.objects.writeTree([])
}

type Change = readonly [segments: string[], content: FileChange]

async function editLevel(repo: Repo, treeOid: string | undefined, changes: Change[]): Promise<string | undefined> {
  const base = treeOid ? await repo.readTree(treeOid) : undefined
  const baseIndex = base && base.entries.length > SMALL_TREE ? treeLayout(base).index : undefined
  const baseEntry = (name: string) => {
    if (!base) return undefined
    if (baseIndex) {
      const i = baseIndex.get(name)
      return i === undefined ? undefined : base.entries[i]
    }
    return base.entries.find((e) => !e.raw && e.name === name)
  }

  // the new entry for each name this change touches (null: removed)
  const edits = new Map<string, TreeEntry | null>()
  const below = new Map<string, Change[]>()
  for (const [segments, content] of changes) {
    const [head, ...rest] = segments
    if (!head) throw new InternalError('empty path segment in a tree change')
    if (rest.length === 0) edits.set(head, content === null ? null : {mode: FILE_MODE, name: head, oid: repo.objects.writeBlob(content)})
    else {
      const list = below.get(head) ?? []
      list.push([rest, content])
      below.set(head, list)
    }
  }
  for (const [name, subChanges] of below) {
    const existing = edits.has(name) ? edits.get(name) : baseEntry(name)
    const subTree = existing?.mode === TREE_MODE ? existing.oid : undefined
    const oid = await editLevel(repo, subTree, subChanges)
    edits.set(name, oid ? {mode: TREE_MODE, name, oid} : null)
  }
  return replaceIds(repo, base, edits, baseEntry) ?? rebuild(repo, base, edits)
}

/** Trees up to this size are edited by building them again: finding a name in a few entries needs no index. */
const SMALL_TREE = 16

/**
 * The common edit of a big tree (a claim's new node directory among thousands):
 * every edited name is already there with the same mode, so only ids change,
 * in place in a copy of the tree's bytes, and the new tree shares the old one's
 * layout. Undefined when the edit is not of that kind.
 */
function replaceIds(
  repo: Repo,
  base: TreeRecord | undefined,
  edits: Map<string, TreeEntry | null>,
  baseEntry: (name: string) => TreeEntry | undefined,
): string | undefined {
  if (!base?.body || base.entries.length <= SMALL_TREE) return undefined
  for (const [name, entry] of edits) if (!entry || baseEntry(name)?.mode !== entry.mode) return undefined
  const layout = treeLayout(base)
  const entries = base.entries.slice()
  const body = Buffer.from(base.body)
  for (const [name, entry] of edits) {
    const i = layout.index.get(name)!
    entries[i] = entry!
    body.write(entry!.oid, layout.oidAt[i]!, 'hex')
  }
  const oid = repo.objects.write('tree', body)
  repo.rememberTree(oid, entries, body, layout)
  return oid
}

/** Any other edit: the entries with the edits applied, in git's order; undefined for an empty tree. */
function rebuild(repo: Repo, base: TreeRecord | undefined, edits: Map<string, TreeEntry | null>): string | undefined {
  const entries = new Map<string, TreeEntry>()
  // a name that is not UTF-8 by its bytes: never one rigor edits, and never mistaken for another that shows alike
  for (const entry of base?.entries ?? []) entries.set(entryKey(entry), entry)
  // a changed entry keeps its place in the map: the list stays in git's order unless a name is added,
  // or a directory turns file or back (git orders a directory as if its name ended in "/")
  let added = false
  for (const [name, entry] of edits) {
    const before = entries.get(name)
    if (!entry) entries.delete(name)
    else {
      added ||= !before || (before.mode === TREE_MODE) !== (entry.mode === TREE_MODE)
      entries.set(name, entry)
    }
  }
  if (entries.size === 0) return undefined
  // in git's order, as parsed trees are: readers of remembered trees (diffTrees) walk them in that order
  const list = [...entries.values()]
  if (added) list.sort(compareTreeEntries)
  const body = serializeTree(list, true)
  const oid = repo.objects.write('tree', body)
  repo.rememberTree(oid, list, body)
  return oid
}
