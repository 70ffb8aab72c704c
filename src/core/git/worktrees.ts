import {realpathSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {isAbsolute, resolve} from 'node:path'
import type {Repo} from './repo.js'

/** A checkout of the repository: the main one or a linked worktree. */
export interface CheckoutInfo {
  path: string
  /** its own git directory (the shared one for the main checkout) */
  gitDir: string
  head: string | undefined
  /** the branch checked out, as `refs/heads/<name>`; undefined when detached */
  branch: string | undefined
}

/**
 * Every checkout of the repository, as `git worktree list` tells them (a bare
 * repository's entry and worktrees gone from the disk left out). Where git
 * cannot list them, this checkout alone.
 *
 * git lists the main checkout first, at a path it derives from the shared git
 * directory (its parent when it is named `.git`, the directory itself
 * otherwise), whatever core.worktree or GIT_WORK_TREE say: for a submodule, a
 * `git init --separate-git-dir` repository or GIT_DIR set, that path is the git
 * directory, not the checkout. So each entry is matched to this checkout by its
 * git directory, and the main one elsewhere is taken from core.worktree (left
 * out when it has none: nothing says where its files are).
 */
export async function listCheckouts(repo: Repo): Promise<CheckoutInfo[]> {
  const own: CheckoutInfo = {path: repo.paths.root, gitDir: repo.paths.gitDir, head: undefined, branch: undefined}
  const listing = await repo.git(['worktree', 'list', '--porcelain'], {allowFailure: true})
  if (listing.exitCode !== 0) return [{...own, branch: await repo.headRef()}]
  const list: CheckoutInfo[] = []
  const blocks = listing.stdout.split('\n\n')
  for (const [i, block] of blocks.entries()) {
    const lines = block.split('\n')
    let path = lines.find((l) => l.startsWith('worktree '))?.slice(9)
    if (!path || lines.includes('bare') || lines.some((l) => l.startsWith('prunable'))) continue
    const main = i === 0
    const gitDir = main ? repo.paths.commonDir : await gitDirOf(path, repo.paths.commonDir)
    if (sameDir(gitDir, own.gitDir)) path = own.path
    else if (main && sameDir(path, repo.paths.commonDir)) path = await configuredWorktree(repo)
    if (!path) continue
    const head = lines.find((l) => l.startsWith('HEAD '))?.slice(5)
    const branch = lines.find((l) => l.startsWith('branch '))?.slice(7)
    list.push({path, head, branch, gitDir})
  }
  return list
}

/** A linked worktree's `.git` is a file naming its git dir. */
async function gitDirOf(path: string, commonDir: string): Promise<string> {
  try {
    const text = (await readFile(resolve(path, '.git'), 'utf8')).trim()
    const dir = text.replace(/^gitdir: /, '')
    return isAbsolute(dir) ? dir : resolve(path, dir)
  } catch {
    return commonDir
  }
}

/** The main checkout's core.worktree (relative to the shared git directory), as a submodule's git directory records it. */
async function configuredWorktree(repo: Repo): Promise<string | undefined> {
  const config = resolve(repo.paths.commonDir, 'config')
  const result = await repo.git(['config', '--file', config, '--get', 'core.worktree'], {allowFailure: true})
  const value = result.exitCode === 0 ? result.stdout.trim() : ''
  return value ? resolve(repo.paths.commonDir, value) : undefined
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p)
    } catch {
      return resolve(p)
    }
  }
  return resolve(a) === resolve(b) || real(a) === real(b)
}

/**
 * How git is run on one checkout's index and files: its git directory and top named outright. Found from the working
 * directory instead, a GIT_DIR or GIT_WORK_TREE rigor was started with would point every checkout's git at this one
 * (another checkout's sync moving this index, detaching this HEAD).
 */
export function checkoutGit(checkout: {path: string; gitDir: string}): {cwd: string; env: Record<string, string>} {
  return {cwd: checkout.path, env: {GIT_DIR: checkout.gitDir, GIT_WORK_TREE: checkout.path}}
}
