import {TREE_MODE, type TreeEntry} from '../git/objects.js'
import type {Repo} from '../git/repo.js'
import {treeEntryAt} from '../git/tree-walk.js'
import {MissingObjectError} from '../errors.js'

export interface TreeFile {
  /** path from the tree's root, e.g. handoffs/data-prep/001-alice-to-bob.yaml */
  path: string
  oid: string
}

/**
 * The files under `dir` in a committed tree (the state as committed, not the
 * working tree), one level deep or recursively, in path order.
 */
export async function listTreeFiles(
  repo: Repo,
  tree: string | undefined,
  dir: string,
  opts: {recursive?: boolean} = {},
): Promise<TreeFile[]> {
  const dirOid = tree ? await treeEntryAt(repo, tree, dir) : undefined
  if (!dirOid) return []
  const files: TreeFile[] = []
  const walk = async (oid: string, prefix: string): Promise<void> => {
    let entries: TreeEntry[]
    try {
      entries = await repo.readTreeEntries(oid)
    } catch {
      return // `dir` names a file, not a directory
    }
    for (const entry of entries) {
      const path = `${prefix}/${entry.name}`
      if (entry.mode === TREE_MODE) {
        if (opts.recursive) await walk(entry.oid, path)
      } else files.push({path, oid: entry.oid})
    }
  }
  await walk(dirOid, dir)
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** The bytes of committed blobs, in the order asked. */
export async function readBlobs(repo: Repo, oids: string[]): Promise<Buffer[]> {
  const objects = await repo.cat.readMany(oids)
  return objects.map((obj, i) => {
    if (obj?.type !== 'blob') throw new MissingObjectError(`blob ${oids[i]}`)
    return obj.body
  })
}
