import {createHash} from 'node:crypto'
import {chmod, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {EXECUTABLE_MODE, isFileMode} from './objects.js'
import type {Repo} from './repo.js'
import {checkoutGit} from './worktrees.js'

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
 * a plain `git commit` can then never revert rigor's work.
 *
 * Paths are handled as git's bytes throughout (NUL-separated plumbing, read one
 * character per byte): a name the user committed may hold a newline, a tab or
 * bytes that are not UTF-8, and none of them may stop the sync (or be renamed by it).
 */
export async function syncIndexPaths(
  repo: Repo,
  worktree: {path: string; gitDir: string},
  history: HistoryCommit[],
  tip: HistoryCommit,
): Promise<PathSyncResult> {
  const result: PathSyncResult = {updated: 0, kept: []}
  const changed = await changedPaths(repo, [...history, tip])
  if (changed.size === 0) return result
  const index = await indexEntries(repo, worktree, changed)
  const indexInfo: string[] = []
  const written: string[] = []
  const root = Buffer.from(`${worktree.path}/`)
  for (const [path, change] of changed) {
    const want = change.last
    const entries = index.get(path) ?? []
    if (entries.some((e) => e.stage !== 0)) {
      result.kept.push(`${shownPath(path)}: unmerged in the index (resolve the conflict first)`)
      continue
    }
    const have = entries[0]
    if (have?.oid === want?.oid) continue
    const earlier = change.versions
    if (want) earlier.delete(want.oid)
    if (!earlier.has(have?.oid)) {
      result.kept.push(`${shownPath(path)}: your staged change was kept`)
      continue
    }
    const hexLength = (have?.oid ?? want!.oid).length
    indexInfo.push(want ? `${want.mode} ${want.oid}\t${path}` : `0 ${'0'.repeat(hexLength)}\t${path}`)
    result.updated++
    // the file follows only when it still holds the stale version: an edit is never overwritten. Only regular files
    // are written here; a link or a submodule the branch changed is left to git (`git status` shows it)
    if (!regular(have?.mode) || !regular(want?.mode)) continue
    const file = Buffer.concat([root, Buffer.from(path, 'latin1')])
    const current = await readFile(file).catch(() => undefined)
    const currentOid = current ? blobId(current, hexLength) : undefined
    if (currentOid === want?.oid) continue
    if (currentOid !== have?.oid) {
      result.kept.push(`${shownPath(path)}: the file in the working tree was changed by someone else and was kept`)
      continue
    }
    if (want) {
      const blob = await repo.cat.read(want.oid)
      const slash = path.lastIndexOf('/')
      if (slash > 0) await mkdir(Buffer.concat([root, Buffer.from(path.slice(0, slash), 'latin1')]), {recursive: true})
      await writeFile(file, blob!.body)
      await chmod(file, want.mode === EXECUTABLE_MODE ? 0o755 : 0o644).catch(() => {})
      written.push(path)
    } else {
      await rm(file, {force: true})
    }
  }
  if (indexInfo.length > 0) {
    await repo.git(['update-index', '-z', '--index-info'], {
      ...checkoutGit(worktree),
      input: Buffer.from(`${indexInfo.join('\0')}\0`, 'latin1'),
    })
  }
  // refresh the stat data of the files written, so git status does not re-read them
  if (written.length > 0) {
    await repo.git(['update-index', '-q', '-z', '--stdin'], {
      ...checkoutGit(worktree),
      input: Buffer.from(`${written.join('\0')}\0`, 'latin1'),
    })
  }
  return result
}

const regular = (mode: string | undefined) => mode === undefined || isFileMode(mode)

interface TreeEntryVersion {
  mode: string
  oid: string
}

interface PathChange {
  /** every version the path had along the way (undefined: absent), the tip's included */
  versions: Set<string | undefined>
  /** the tip's version, undefined when the tip has no such path */
  last: TreeEntryVersion | undefined
}

/**
 * Every path (as bytes, one character each) that changed between consecutive
 * commits of `chain`, with each version it had: the one at the start and each
 * change's new one. One `git diff-tree --stdin` reads the diffs of the whole
 * chain (not every commit's tree: a sync over 600 commits of 900 paths would
 * otherwise ask for half a million paths), NUL-separated, so that no name
 * needs quoting and no `<rev>:<path>` is ever written on a line.
 */
async function changedPaths(repo: Repo, chain: HistoryCommit[]): Promise<Map<string, PathChange>> {
  const changed = new Map<string, PathChange>()
  const pairs: string[] = []
  for (let i = 0; i + 1 < chain.length; i++)
    if (chain[i]!.tree !== chain[i + 1]!.tree) pairs.push(`${chain[i]!.tree} ${chain[i + 1]!.tree}\n`)
  if (pairs.length === 0) return changed
  const {stdout} = await repo.git(['diff-tree', '--stdin', '-r', '-z', '--no-renames'], {input: pairs.join(''), binary: true})
  // each pair's diff follows a line naming the pair ("<tree> <tree>" LF); then per change
  // ":<old mode> <new mode> <old id> <new id> <status>" NUL "<path>" NUL
  let pos = 0
  while (pos < stdout.length) {
    if (stdout[pos] !== ':') {
      const eol = stdout.indexOf('\n', pos)
      pos = eol === -1 ? stdout.length : eol + 1
      continue
    }
    const metaEnd = stdout.indexOf('\0', pos)
    const pathEnd = metaEnd === -1 ? -1 : stdout.indexOf('\0', metaEnd + 1)
    if (pathEnd === -1) throw new Error(`git diff-tree: unexpected output near byte ${pos}`)
    const [oldMode, newMode, oldOid, newOid] = stdout.slice(pos + 1, metaEnd).split(' ')
    const path = stdout.slice(metaEnd + 1, pathEnd)
    pos = pathEnd + 1
    const absent = (mode: string | undefined) => mode === undefined || /^0+$/.test(mode)
    const before = absent(oldMode) ? undefined : oldOid
    const after = absent(newMode) ? undefined : {mode: newMode!, oid: newOid!}
    const seen = changed.get(path)
    if (seen) {
      seen.versions.add(after?.oid)
      seen.last = after
    } else changed.set(path, {versions: new Set([before, after?.oid]), last: after})
  }
  return changed
}

/** The index entries of `paths` (stage 0, or stages 1-3 when unmerged), paths as bytes. */
async function indexEntries(
  repo: Repo,
  worktree: {path: string; gitDir: string},
  paths: ReadonlyMap<string, unknown>,
): Promise<Map<string, IndexEntry[]>> {
  // this git's ls-files takes no pathspec file: list the index and keep the paths asked
  const listing = await repo.git(['ls-files', '-s', '-z'], {...checkoutGit(worktree), binary: true})
  const out = new Map<string, IndexEntry[]>()
  for (const record of listing.stdout.split('\0')) {
    const tab = record.indexOf('\t')
    if (tab === -1) continue
    const path = record.slice(tab + 1)
    if (!paths.has(path)) continue
    const [mode, oid, stage] = record.slice(0, tab).split(' ')
    const list = out.get(path) ?? []
    list.push({mode: mode!, oid: oid!, stage: Number(stage)})
    out.set(path, list)
  }
  return out
}

/** A path read as bytes, as a warning shows it: quoted (JSON) when it holds a control character or is not UTF-8. */
function shownPath(path: string): string {
  const bytes = Buffer.from(path, 'latin1')
  const text = bytes.toString('utf8')
  return /[\x00-\x1f\x7f\ufffd]/.test(text) ? JSON.stringify(text) : text
}

/** A file's git blob id in the repository's object format (told apart by the length of its ids). */
function blobId(content: Buffer, hexLength: number): string {
  return createHash(hexLength === 64 ? 'sha256' : 'sha1')
    .update(`blob ${content.length}\0`)
    .update(content)
    .digest('hex')
}
