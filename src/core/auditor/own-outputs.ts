import {existsSync, readdirSync, realpathSync, statSync} from 'node:fs'
import {join, resolve, sep} from 'node:path'
import type {Overlay} from '../dag/sandbox.js'
import {listCheckouts} from '../git/worktrees.js'
import type {Repo} from '../git/repo.js'
import {EXPERIMENTS_DIR} from '../state/layout.js'

/**
 * The `experiments/` directory in every checkout of the repository (the
 * workspace, and each linked worktree as `git worktree list` names them). It
 * holds what every run wrote, the audited node's (its positions, its returns,
 * its verdict's notes) and every other node's: a re-run that reads the
 * audited run's positions, or a sibling's that looked ahead the same way, can
 * replay them on every altered copy, so a run that looked ahead matches
 * itself on each cut and earns nothing on the shuffled copies. The auditor's
 * re-runs are shown these directories empty; what a stage reads of its
 * upstreams comes through `RIGOR_INPUTS`, staged from git's objects.
 */
export async function runOutputDirs(repo: Repo): Promise<string[]> {
  // without linked worktrees the workspace is the only checkout: git is not asked
  const linked = existsSync(join(repo.paths.commonDir, 'worktrees'))
  const roots = linked ? (await listCheckouts(repo)).map((c) => c.path) : [repo.paths.root]
  const dirs = new Set<string>()
  for (const root of roots) {
    const dir = resolve(root, EXPERIMENTS_DIR)
    // a path through a symbolic link is left alone, as sealed-data.ts leaves declared files: it may lead anywhere
    if (isRealDir(dir) && realpathSync(dir) === resolve(realpathSync(root), EXPERIMENTS_DIR)) dirs.add(dir)
  }
  return [...dirs]
}

/**
 * Overlays showing `empty` (an empty host directory) over each of `dirs`. A
 * directory that another overlay shows a file inside (a data file kept under
 * `experiments/`) cannot be hidden whole: bwrap could not make that file's
 * mount point in the empty directory, and the run would not start. Its
 * entries are hidden instead, each one that holds no such file, down to the
 * file's own directory.
 */
export function hidingOverlays(dirs: readonly string[], empty: string, others: readonly Overlay[]): Overlay[] {
  return dirs.flatMap((dir) => hide(dir, empty, others))
}

function hide(dir: string, empty: string, others: readonly Overlay[]): Overlay[] {
  const inside = others.filter((o) => o.target.startsWith(dir + sep))
  if (inside.length === 0) return [{source: empty, target: dir}]
  return entries(dir).flatMap((name) => {
    const path = join(dir, name)
    if (inside.some((o) => o.target === path)) return []
    return isRealDir(path) ? hide(path, empty, inside) : []
  })
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function isRealDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
