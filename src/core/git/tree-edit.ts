import {compareTreeEntries, FILE_MODE, TREE_MODE, type TreeEntry} from './objects.js'
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
  const entries = new Map<string, TreeEntry>()
  if (treeOid) for (const entry of await repo.readTreeEntries(treeOid)) entries.set(entry.name, entry)

  // a changed entry keeps its place in the map: the list stays in git's order unless a name is added
  let added = false
  const below = new Map<string, Change[]>()
  for (const [segments, content] of changes) {
    const [head, ...rest] = segments
    if (!head) throw new InternalError('empty path segment in a tree change')
    if (rest.length === 0) {
      if (content === null) entries.delete(head)
      else {
        // a new name, or a directory turned file (which git orders as if its name ended in "/")
        const before = entries.get(head)
        added ||= !before || before.mode === TREE_MODE
        entries.set(head, {mode: FILE_MODE, name: head, oid: repo.objects.writeBlob(content)})
      }
    } else {
      const list = below.get(head) ?? []
      list.push([rest, content])
      below.set(head, list)
    }
  }
  for (const [name, subChanges] of below) {
    const existing = entries.get(name)
    const subTree = existing?.mode === TREE_MODE ? existing.oid : undefined
    const oid = await editLevel(repo, subTree, subChanges)
    if (oid) {
      added ||= !existing || existing.mode !== TREE_MODE
      entries.set(name, {mode: TREE_MODE, name, oid})
    } else entries.delete(name)
  }
  if (entries.size === 0) return undefined
  // in git's order, as parsed trees are: readers of remembered trees (diffTrees) walk them in that order
  const list = [...entries.values()]
  if (added) list.sort(compareTreeEntries)
  const oid = repo.objects.writeTree(list, true)
  repo.rememberTree(oid, list)
  return oid
}
