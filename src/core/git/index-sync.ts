import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {FILE_MODE} from './objects.js'
import type {Repo} from './repo.js'
import {diffTrees} from './tree-walk.js'

/** One commit of the branch's history since the checkout was last in step, oldest first. */
export interface HistoryCommit {
  oid: string
  tree: string
}

export interface PathSyncResult {
  /** paths whose index entry (and file, unless kept) now match the tip */
  updated: number
  /** why some paths were left as the user has them */
  kept: string[]
}

interface IndexEntry {
  mode: string
  oid: string
  stage: number
}

/**
 * Brings one worktree's index to `tip` path by path, for the paths the branch
 * changed since `history[0]`. An index entry that holds any earlier version of
 * the path (a version the branch had since the checkout was last in step) is
 * stale and moves to the tip's; an entry that holds anything else is the user's
 * staged edit and is kept. A file is rewritten only when it holds the stale
 * version (or is missing with it); a file someone edited is kept, and shows in
 * `git status` as an unstaged change. Unlike `read-tree -m -u`, this works in
 * the middle of a merge, with a runner's stray file in the way, or after the
 * user committed on the branch, so the index is never left behind the branch:
 * a plain `git commit` can then never revert rigor's commits.
 */
export async function syncIndexPaths(
  repo: Repo,
  worktree: {path: string},
  history: HistoryCommit[],
  tip: HistoryCommit,
): Promise<PathSyncResult> {
  const result: PathSyncResult = {updated: 0, kept: []}
  // every path that changed along the way, with each version it had: the one at
  // the start and each change's new one (read from the diffs, not from every commit:
  // a sync over 600 commits of 900 paths asked git for half a million paths)
  const versions = new Map<string, Set<string | undefined>>()
  const chain = [...history, tip]
  for (let i = 0; i + 1 < chain.length; i++) {
    // a changed blob comes as its removal and its new id: the path was never absent then
    const step = new Map<string, string | undefined>()
    for (const change of await diffTrees(repo, chain[i]!.tree, chain[i + 1]!.tree))
      step.set(change.path, step.get(change.path) ?? change.oid)
    for (const [path, oid] of step) {
      const seen = versions.get(path)
      if (seen) seen.add(oid)
      else versions.set(path, new Set([oid]))
    }
  }
  if (versions.size === 0) return result
  const paths = [...versions.keys()]
  const firstBlobs = await blobsAt(repo, chain[0]!.tree, paths)
  paths.forEach((path, i) => versions.get(path)!.add(firstBlobs[i]))
  const index = await indexEntries(repo, worktree.path, paths)
  const tipBlobs = await blobsAt(repo, tip.tree, paths)
  const indexInfo: string[] = []
  const written: string[] = []
  for (const [i, path] of paths.entries()) {
    const want = tipBlobs[i]
    const entries = index.get(path) ?? []
    if (entries.some((e) => e.stage !== 0)) {
      result.kept.push(`${path}: unmerged in the index (resolve the conflict first)`)
      continue
    }
    const have = entries[0]?.oid
    if (have === want) continue
    const earlier = versions.get(path)!
    earlier.delete(want)
    if (!earlier.has(have)) {
      result.kept.push(`${path}: your staged change was kept`)
      continue
    }
    indexInfo.push(want ? `${FILE_MODE} ${want}\t${path}` : `0 ${'0'.repeat(want?.length ?? have!.length)}\t${path}`)
    result.updated++
    // the file follows only when it still holds the stale version: an edit is never overwritten
    const file = join(worktree.path, path)
    const current = await readFile(file).catch(() => undefined)
    const currentOid = current ? blobId(current, have?.length ?? want!.length) : undefined
    if (currentOid === want) continue
    if (currentOid !== have) {
      result.kept.push(`${path}: the file in the working tree was changed by someone else and was kept`)
      continue
    }
    if (want) {
      const blob = await repo.cat.read(want)
      await mkdir(dirname(file), {recursive: true})
      await writeFile(file, blob!.body)
      written.push(path)
    } else {
      await rm(file, {force: true})
    }
  }
  if (indexInfo.length > 0) {
    await repo.git(['update-index', '-z', '--index-info'], {cwd: worktree.path, input: `${indexInfo.join('\0')}\0`})
  }
  // refresh the stat data of the files written, so git status does not re-read them
  if (written.length > 0) {
    await repo.git(['update-index', '-q', '-z', '--stdin'], {cwd: worktree.path, input: `${written.join('\0')}\0`})
  }
  return result
}

async function blobsAt(repo: Repo, tree: string, paths: string[]): Promise<Array<string | undefined>> {
  const objects = await repo.cat.readMany(paths.map((p) => `${tree}:${p}`))
  return objects.map((o) => (o && o.type === 'blob' ? o.oid : undefined))
}

/** The index entries of `paths` (stage 0, or stages 1-3 when unmerged). */
async function indexEntries(repo: Repo, cwd: string, paths: string[]): Promise<Map<string, IndexEntry[]>> {
  // this git's ls-files takes no pathspec file: list the index and keep the paths asked
  const wanted = new Set(paths)
  const listing = await repo.git(['ls-files', '-s', '-z'], {cwd})
  const out = new Map<string, IndexEntry[]>()
  for (const record of listing.stdout.split('\0')) {
    const tab = record.indexOf('\t')
    if (tab === -1) continue
    const path = record.slice(tab + 1)
    if (!wanted.has(path)) continue
    const [mode, oid, stage] = record.slice(0, tab).split(' ')
    const list = out.get(path) ?? []
    list.push({mode: mode!, oid: oid!, stage: Number(stage)})
    out.set(path, list)
  }
  return out
}

/** A file's git blob id in the repository's object format (told apart by the length of its ids). */
function blobId(content: Buffer, hexLength: number): string {
  return createHash(hexLength === 64 ? 'sha256' : 'sha1')
    .update(`blob ${content.length}\0`)
    .update(content)
    .digest('hex')
}
