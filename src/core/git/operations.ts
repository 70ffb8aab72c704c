import {existsSync, readdirSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

export interface OperationInProgress {
  /** merge, rebase, am, cherry-pick, revert or bisect */
  name: string
  /** how to finish it, for the error message */
  finish: string
  /** the branch a rebase is rewriting (refs/heads/...), when git recorded it */
  branch?: string
}

// checked before every commit: one listing of the git directory made directly (through the thread pool it would cost
// a turn of the event loop), instead of a path built and a stat made for each of six markers
const markersIn = (gitDir: string): Set<string> => {
  try {
    return new Set(readdirSync(gitDir))
  } catch {
    return new Set()
  }
}

/**
 * The git operation in progress in a worktree, found by the marker files git
 * itself uses (git status reads the same ones). While one is in progress the
 * index is the user's, half-merged: rigor must not move the branch under it, or
 * finishing the operation commits the old tree and reverts rigor's commits.
 */
export async function operationInProgress(gitDir: string): Promise<OperationInProgress | undefined> {
  const markers = markersIn(gitDir)
  if (markers.has('MERGE_HEAD'))
    return {name: 'merge', finish: 'finish it with `git commit` (after resolving conflicts) or undo it with `git merge --abort`'}
  for (const dir of ['rebase-merge', 'rebase-apply']) {
    if (!markers.has(dir)) continue
    if (dir === 'rebase-apply' && existsSync(join(gitDir, dir, 'applying')))
      return {name: 'am', finish: 'finish it with `git am --continue` or undo it with `git am --abort`'}
    const head = (await readFile(join(gitDir, dir, 'head-name'), 'utf8').catch(() => '')).trim()
    return {
      name: 'rebase',
      finish: 'finish it with `git rebase --continue` or undo it with `git rebase --abort`',
      branch: head.startsWith('refs/') ? head : undefined,
    }
  }
  if (markers.has('CHERRY_PICK_HEAD'))
    return {name: 'cherry-pick', finish: 'finish it with `git cherry-pick --continue` or undo it with `git cherry-pick --abort`'}
  if (markers.has('REVERT_HEAD'))
    return {name: 'revert', finish: 'finish it with `git revert --continue` or undo it with `git revert --abort`'}
  if (markers.has('BISECT_LOG')) return {name: 'bisect', finish: 'end it with `git bisect reset`'}
  return undefined
}
