/**
 * The sealed holdout covers every data file the nodes declare, not only the
 * run's own. A strategy on one asset may read another asset's file straight
 * from the workspace (a market filter, a benchmark): without this it would see
 * that file's holdout rows, and the holdout would no longer be clean although
 * every node's own `RIGOR_DATA` was cut. In the sandbox, each such file's
 * workspace path shows its research cut instead; a file that cannot be cut
 * (not committed on the branch, no dates) shows empty. An audit's truncation
 * re-run shows every declared file cut at the date its own data was cut, the
 * same way (truncationDeps): a look-ahead through a benchmark file is a
 * look-ahead too.
 *
 * Each bind costs bwrap a read of the whole mount table, so a thousand of them
 * would cost seconds a run. A directory holding many declared files is shown
 * instead as one view (sealed-view.ts): their cuts, and its other entries
 * bound back.
 */
import {existsSync, lstatSync, readdirSync, realpathSync} from 'node:fs'
import {basename, extname, join, posix, resolve} from 'node:path'
import {dataFilesDir} from '../state/data-files.js'
import {alteredCutTag, cutDataFile, dataCutName, type TableAlteration, type TableCache} from '../state/data-cuts.js'
import {holdoutCut} from '../state/holdout.js'
import {reuseKeptCopy} from '../state/kept-copies.js'
import {InputError} from '../errors.js'
import {isFileMode, TREE_MODE, type TreeEntry} from '../git/objects.js'
import type {Repo} from '../git/repo.js'
import {treeEntryInfo} from '../git/tree-walk.js'
import {listCheckouts} from '../git/worktrees.js'
import {workspacePathProblem} from '../validation.js'
import type {HoldoutCut} from '../data/price-file.js'
import type {HoldoutConfig} from '../schemas/index.js'
import type {DerivedKind, NodeRecord, Snapshot, SnapshotDelta} from '../state/store.js'
import {hostRuntime, type Overlay} from './sandbox.js'
import {directoryView, EMPTY} from './sealed-view.js'

/** From this many declared files in one directory (the workspace root excepted), the directory is shown as a view. */
export const VIEW_FROM = 8

/** The data paths the nodes of a snapshot declare, each with how many nodes declare it. */
export const declaredDataPaths: DerivedKind<ReadonlyMap<string, number>> = {
  build(snap: Snapshot): ReadonlyMap<string, number> {
    const paths = new Map<string, number>()
    for (const record of snap.nodes.values()) count(paths, record, 1)
    return paths
  },

  update(prev: ReadonlyMap<string, number>, _snap: Snapshot, delta: SnapshotDelta): ReadonlyMap<string, number> {
    // a claim or a verdict changes no node's data: most updates hand back the map they were given
    const changed = [...new Set(delta.ids)].filter((id) => delta.from.get(id)?.node?.data !== delta.to.get(id)?.node?.data)
    if (changed.length === 0) return prev
    const paths = new Map(prev)
    for (const id of changed) {
      count(paths, delta.from.get(id), -1)
      count(paths, delta.to.get(id), 1)
    }
    return paths
  },
}

function count(paths: Map<string, number>, record: NodeRecord | undefined, by: 1 | -1): void {
  const path = record?.node?.data
  if (path === undefined) return
  const next = (paths.get(path) ?? 0) + by
  if (next > 0) paths.set(path, next)
  else paths.delete(path)
}

/** What sealedDataOverlays needs of a workspace to seal its holdout. */
export const sealDeps = (ws: {repo: Repo; root: string}, holdout: HoldoutConfig): SealDeps => ({
  repo: ws.repo,
  root: ws.root,
  cuts: [holdoutCut(holdout)],
  uncuttable: 'empty',
  cutsDir: dataFilesDir(ws.repo),
  viewsDir: join(ws.repo.paths.commonDir, 'rigor', 'views'),
})

/**
 * What sealedDataOverlays needs of a workspace for an audit's truncation
 * re-run: every declared file cut before `from` too (and before the holdout,
 * if there is one), written under `scratch`, which the audit removes.
 */
export const truncationDeps = (
  ws: {repo: Repo; root: string},
  holdout: HoldoutConfig | undefined,
  from: string,
  scratch: string,
  tables: TableCache,
): SealDeps => auditDeps(ws, holdout, {from}, scratch, tables)

/**
 * What sealedDataOverlays needs of a workspace for an audit's re-run that
 * changes the other data files: each cut before `from` (a truncation re-run)
 * and before the holdout, if there is one, then altered by `alter` (a
 * permutation re-run), written under `scratch`, which the audit removes.
 */
export const auditDeps = (
  ws: {repo: Repo; root: string},
  holdout: HoldoutConfig | undefined,
  change: {from?: string; alter?: TableAlteration},
  scratch: string,
  tables: TableCache,
): SealDeps => ({
  repo: ws.repo,
  root: ws.root,
  cuts: [...(holdout ? [holdoutCut(holdout)] : []), ...(change.from === undefined ? [] : [{from: change.from}])],
  alter: change.alter,
  // without a holdout, a file with no dates to cut by shows as the run saw it: there is nothing sealed in it
  uncuttable: holdout ? 'empty' : 'whole',
  cutsDir: join(scratch, 'data'),
  viewsDir: join(scratch, 'views'),
  tables,
})

export interface SealDeps {
  repo: Repo
  /** the workspace root */
  root: string
  /** each declared file shows the rows before the earliest of these */
  cuts: readonly HoldoutCut[]
  /** what a declared file that cannot be cut (not committed, no dates) shows: nothing, or itself as it is */
  uncuttable: 'empty' | 'whole'
  /** where the cut files are kept (content-addressed) */
  cutsDir: string
  /** where directory views are kept (content-addressed) */
  viewsDir: string
  /** the tables already read, when the same files are cut again (the truncation re-runs' dates, the permutations) */
  tables?: TableCache
  /** what is done to each file after its cuts (a permutation re-run shuffles it); a file without dates is not altered */
  alter?: TableAlteration
}

/**
 * The overlays that seal the holdout of every declared data file but `own`
 * (which the run shows itself, bound after these): each path that holds a
 * regular file in the working tree shows the file committed at `commit`, cut
 * by `deps.cuts`. Left alone: paths with nothing there (there is
 * nothing to read), and paths through a symbolic link (git records no file
 * behind a link, so no node can have its data there; and a link may lead
 * anywhere: out of the workspace, onto a file sealed under its own path, onto
 * /bin/sh, where a cut or an empty file would hide what other runs need).
 * Shallower directories come first, so that what is shown inside a view is
 * bound on top of it. Per directory, one look at its committed tree and at
 * its real path; per file, one `lstat`: a thousand files cost milliseconds.
 */
export async function sealedDataOverlays(
  deps: SealDeps,
  paths: Iterable<string>,
  commit: string | undefined,
  own: string | undefined,
): Promise<Overlay[]> {
  const byDir = new Map<string, string[]>()
  for (const path of new Set(paths)) {
    // a path no node could have as data (absolute, `..`, into .git) is not looked at
    if (workspacePathProblem(path) !== undefined) continue
    const dir = posix.dirname(path)
    const names = byDir.get(dir)
    if (names) names.push(posix.basename(path))
    else byDir.set(dir, [posix.basename(path)])
  }
  if (byDir.size === 0) return []
  const depth = (dir: string) => (dir === '.' ? 0 : dir.split('/').length)
  const dirs = [...byDir].sort(([a], [b]) => depth(a) - depth(b) || (a < b ? -1 : 1))
  const shared: SharedCuts = {
    tree: commit ? await deps.repo.commitTree(commit) : undefined,
    cutsOnDisk: new Set(listNames(deps.cutsDir)),
    tag: alteredCutTag(deps.cuts, deps.alter),
  }
  // the repository's other checkouts hold the same files, holdout and all, and the sandbox shows them read-only: each
  // is sealed as the workspace is, its own file too (only the workspace's is shown by the run's own overlay)
  const self = realpathOrUndefined(deps.root)
  // one kept inside the git directory or the host's runtime directories is out of sight already (the sandbox hides
  // them), and nothing can be bound there
  const hidden = [deps.repo.paths.commonDir, ...hostRuntime().dirs].flatMap((dir) => realpathOrUndefined(dir) ?? [])
  // without linked worktrees the workspace is the only checkout: git is not asked (a spawn every sandboxed run)
  const linked = existsSync(join(deps.repo.paths.commonDir, 'worktrees'))
  const others = (linked ? await listCheckouts(deps.repo) : [])
    .map((c) => realpathOrUndefined(c.path))
    .filter((path): path is string => path !== undefined && path !== self && !hidden.some((dir) => path.startsWith(`${dir}/`)))
  const overlays: Overlay[] = []
  for (const root of [deps.root, ...others])
    overlays.push(...(await checkoutOverlays(deps, shared, root, dirs, root === deps.root ? own : undefined)))
  return overlays
}

/** What every checkout's cuts share: the committed tree they are cut from, the cuts made already, their tag. */
interface SharedCuts {
  tree: string | undefined
  cutsOnDisk: Set<string>
  tag: string
}

/** sealedDataOverlays in one checkout, `root`; `dirs` the declared files by directory, shallower first. */
async function checkoutOverlays(
  deps: SealDeps,
  shared: SharedCuts,
  root: string,
  dirs: ReadonlyArray<[string, string[]]>,
  own: string | undefined,
): Promise<Overlay[]> {
  const realRoot = realpathOrUndefined(root)
  if (!realRoot) return []
  const overlays: Overlay[] = []
  for (const [dir, names] of dirs) {
    const at = resolve(root, dir)
    if (realpathOrUndefined(at) !== (dir === '.' ? realRoot : join(realRoot, dir))) continue
    const committed = shared.tree ? await committedEntries(deps.repo, shared.tree, dir) : new Map<string, TreeEntry>()
    const cuts = new Map<string, string>()
    // the own file needs no cut of its own unless its directory may be shown as a view (the run's overlay covers it)
    const mayBeView = dir !== '.' && names.length >= VIEW_FROM
    for (const name of [...names].sort()) {
      if (!mayBeView && posix.join(dir, name) === own) continue
      if (!isPlainFile(join(at, name))) continue
      const entry = committed.get(name)
      let source = EMPTY
      if (entry && isFileMode(entry.mode)) {
        const known = join(deps.cutsDir, dataCutName(entry.oid, shared.tag, extname(name)))
        // a cut bound on its own is used: its time refreshed (kept-copies.ts); a view holds its cuts' links itself
        const kept = shared.cutsOnDisk.has(basename(known)) && (mayBeView || reuseKeptCopy(known, 'file'))
        source = kept ? known : await cutOrEmpty(deps, entry.oid, posix.join(dir, name))
        if (source === known) shared.cutsOnDisk.add(basename(known))
      }
      // one that cannot be cut (not on the branch as a file, no dates): with a holdout, hidden rather than shown whole;
      // the node that declares it reports why
      if (source !== EMPTY || deps.uncuttable === 'empty') cuts.set(name, source)
    }
    if (cuts.size === 0) continue
    // the own file is in the view too (the run's overlay lands on it): every node of the directory shares one view
    if (dir !== '.' && cuts.size >= VIEW_FROM) overlays.push(...directoryView(at, cuts, deps.viewsDir))
    else for (const [name, source] of cuts) if (posix.join(dir, name) !== own) overlays.push({source, target: join(at, name)})
  }
  return overlays
}

/** The entries of `dir` in `tree`, by name; none where the tree has no such directory. */
async function committedEntries(repo: Repo, tree: string, dir: string): Promise<Map<string, TreeEntry>> {
  const at = dir === '.' ? {mode: TREE_MODE, oid: tree} : await treeEntryInfo(repo, tree, dir)
  if (!at || at.mode !== TREE_MODE) return new Map()
  return new Map((await repo.readTreeEntries(at.oid)).map((e) => [e.name, e]))
}

/** Blob `oid` (the file `path`) cut now; EMPTY where it cannot be cut (no dates). */
async function cutOrEmpty(deps: SealDeps, oid: string, path: string): Promise<string> {
  try {
    return await cutDataFile(deps.repo, oid, path, deps.cuts, {
      suffix: extname(path),
      dir: deps.cutsDir,
      tables: deps.tables,
      alter: deps.alter,
    })
  } catch (err) {
    if (err instanceof InputError) return EMPTY
    throw err
  }
}

/** A regular file that is not itself a link. */
function isPlainFile(path: string): boolean {
  try {
    return lstatSync(path).isFile()
  } catch {
    return false
  }
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path)
  } catch {
    return undefined
  }
}
