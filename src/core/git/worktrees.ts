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
 */
export async function listCheckouts(repo: Repo): Promise<CheckoutInfo[]> {
  const own: CheckoutInfo = {path: repo.paths.root, gitDir: repo.paths.gitDir, head: undefined, branch: undefined}
  const listing = await repo.git(['worktree', 'list', '--porcelain'], {allowFailure: true})
  if (listing.exitCode !== 0) return [{...own, branch: await repo.headRef()}]
  const list: CheckoutInfo[] = []
  for (const block of listing.stdout.split('\n\n')) {
    const lines = block.split('\n')
    const path = lines.find((l) => l.startsWith('worktree '))?.slice(9)
    if (!path || lines.includes('bare') || lines.some((l) => l.startsWith('prunable'))) continue
    const head = lines.find((l) => l.startsWith('HEAD '))?.slice(5)
    const branch = lines.find((l) => l.startsWith('branch '))?.slice(7)
    list.push({
      path,
      head,
      branch,
      gitDir: resolve(path) === resolve(own.path) ? own.gitDir : await gitDirOf(path, repo.paths.commonDir),
    })
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
