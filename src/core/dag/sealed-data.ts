/**
 * The sealed holdout covers every data file the nodes declare, not only the
 * run's own. A strategy on one asset may read another asset's file straight
 * from the workspace (a market filter, a benchmark): without this it would see
 * that file's holdout rows, and the holdout would no longer be clean although
 * every node's own `RIGOR_DATA` was cut. In the sandbox, each such file's
 * workspace path shows its research cut instead; a file that cannot be cut
 * (not committed on the branch, no dates) shows empty.
 *
 * Each bind costs bwrap a read of the whole mount table, so a thousand of them
 * would cost seconds a run. A directory holding many declared files is shown
 * instead as one view (sealed-view.ts): their cuts, and its other entries
 * bound back.
 */
import {realpathSync} from 'node:fs'
import {extname, join, posix, resolve} from 'node:path'
import {committedDataFile, isRegularFile} from '../state/data-files.js'
import {researchDataFile} from '../state/holdout.js'
import {InputError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import type {HoldoutConfig} from '../schemas/index.js'
import type {DerivedKind, NodeRecord, Snapshot, SnapshotDelta} from '../state/store.js'
import type {Overlay} from './sandbox.js'
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

/** What sealedDataOverlays needs of a workspace. */
export const sealDeps = (ws: {repo: Repo; root: string}, holdout: HoldoutConfig): SealDeps => ({
  repo: ws.repo,
  root: ws.root,
  holdout,
  viewsDir: join(ws.repo.paths.commonDir, 'rigor', 'views'),
})

export interface SealDeps {
  repo: Repo
  /** the workspace root */
  root: string
  holdout: HoldoutConfig
  /** where directory views are kept (content-addressed) */
  viewsDir: string
}

/**
 * The overlays that seal the holdout of every declared data file but `own`
 * (which the run shows itself, bound after these): each path that holds a
 * regular file in the working tree shows the research cut of the file
 * committed at `commit`. Paths with nothing there are left alone: there is
 * nothing to read; so are paths through a symbolic link (plainFileAt). Shallower directories come first, so that what is shown
 * inside a view is bound on top of it.
 */
export async function sealedDataOverlays(
  deps: SealDeps,
  paths: Iterable<string>,
  commit: string | undefined,
  own: string | undefined,
): Promise<Overlay[]> {
  const byDir = new Map<string, Map<string, string>>()
  const realRoot = realpathOrUndefined(deps.root)
  for (const path of [...paths].sort()) {
    if (!realRoot || !plainFileAt(realRoot, resolve(deps.root, path), path)) continue
    const dir = posix.dirname(path)
    const cuts = byDir.get(dir) ?? new Map<string, string>()
    cuts.set(posix.basename(path), await researchCut(deps, path, commit))
    byDir.set(dir, cuts)
  }
  const depth = (dir: string) => (dir === '.' ? 0 : dir.split('/').length)
  const overlays: Overlay[] = []
  for (const [dir, cuts] of [...byDir].sort(([a], [b]) => depth(a) - depth(b) || (a < b ? -1 : 1))) {
    const at = resolve(deps.root, dir)
    // the own file is in the view too (the run's overlay lands on it): every node of the directory shares one view
    if (dir !== '.' && cuts.size >= VIEW_FROM) overlays.push(...directoryView(at, cuts, deps.viewsDir))
    else for (const [name, source] of cuts) if (posix.join(dir, name) !== own) overlays.push({source, target: resolve(at, name)})
  }
  return overlays
}

/**
 * Whether the working tree holds a regular file at `path`, reached through no
 * symbolic link. git records no file behind a link, so no node can have its
 * data there; and a link may lead anywhere (out of the workspace, into a file
 * sealed under its own path, onto /bin/sh), where showing a cut or an empty
 * file would hide what other runs need.
 */
function plainFileAt(realRoot: string, target: string, path: string): boolean {
  return realpathOrUndefined(target) === join(realRoot, path) && isRegularFile(target)
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path)
  } catch {
    return undefined
  }
}

/** The research cut of `path` as committed at `commit`, or an empty file where it cannot be cut. */
async function researchCut(deps: {repo: Repo; holdout: HoldoutConfig}, path: string, commit: string | undefined): Promise<string> {
  try {
    const file = await committedDataFile(deps.repo, commit, path, {field: 'data'})
    return await researchDataFile(deps.repo, file.oid, path, deps.holdout, extname(path))
  } catch (err) {
    // the node that declares it reports why, in its own runs; here it is hidden rather than shown whole
    if (err instanceof InputError) return EMPTY
    throw err
  }
}
