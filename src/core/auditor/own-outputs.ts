import {existsSync, realpathSync, statSync} from 'node:fs'
import {join, resolve, sep} from 'node:path'
import type {Overlay} from '../dag/sandbox.js'
import {listCheckouts} from '../git/worktrees.js'
import type {Repo} from '../git/repo.js'
import {nodeDir} from '../state/layout.js'

/**
 * The audited node's own directory, `experiments/<id>/`, in every checkout of
 * the repository that holds it (the workspace, and each linked worktree as
 * `git worktree list` names them). It holds what the audited run wrote (its
 * positions, its returns, its verdict's notes and metrics): a re-run that
 * reads it can replay the committed positions on every altered copy, so a
 * run that looked ahead matches itself on each cut and earns nothing on the
 * shuffled copies. The auditor's re-runs are shown these directories empty.
 */
export async function ownRunDirs(repo: Repo, id: string): Promise<string[]> {
  // without linked worktrees the workspace is the only checkout: git is not asked
  const linked = existsSync(join(repo.paths.commonDir, 'worktrees'))
  const roots = linked ? (await listCheckouts(repo)).map((c) => c.path) : [repo.paths.root]
  const dirs = new Set<string>()
  for (const root of roots) {
    const dir = resolve(root, nodeDir(id))
    // a path through a symbolic link is left alone, as sealed-data.ts leaves declared files: it may lead anywhere
    if (isRealDir(dir) && realpathSync(dir) === resolve(realpathSync(root), nodeDir(id))) dirs.add(dir)
  }
  return [...dirs]
}

/**
 * Overlays showing `empty` (an empty host directory) over each of `dirs`, but
 * not over one that another overlay shows a file inside (a data file kept under
 * the node's directory): bwrap could not make that file's mount point in the
 * empty directory, and the run would not start.
 */
export function hidingOverlays(dirs: readonly string[], empty: string, others: readonly Overlay[]): Overlay[] {
  return dirs.filter((dir) => !others.some((o) => o.target.startsWith(dir + sep))).map((dir) => ({source: empty, target: dir}))
}

function isRealDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
