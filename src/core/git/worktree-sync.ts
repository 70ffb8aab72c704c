import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import lockfile from 'proper-lockfile'
import type {Repo} from './repo.js'

export interface SyncOutcome {
  synced: boolean
  /** why the working tree was left alone, when it was */
  skipped?: string
}

/**
 * Brings this worktree's index and files up to the state branch after rigor
 * moved the branch with plumbing. `git read-tree -m -u <last synced> <tip>` is
 * git's own fast-forward: it updates only paths that changed between the two,
 * keeps the user's staged and unstaged edits, and refuses rather than overwrite one.
 */
export class WorktreeSync {
  private readonly recordFile: string
  private readonly lockTarget: string

  constructor(
    private readonly repo: Repo,
    private readonly stateRef: string,
    /** the tip the command saw first: the fallback when no sync was ever recorded */
    private readonly startTip: string | undefined,
  ) {
    this.recordFile = join(repo.paths.gitDir, 'rigor', 'synced')
    this.lockTarget = join(repo.paths.gitDir, 'rigor')
  }

  async sync(): Promise<SyncOutcome> {
    const head = await this.repo.headRef()
    if (head && head !== this.stateRef) return {synced: false, skipped: `HEAD is on ${head}, not on ${this.stateRef}`}
    await mkdir(this.lockTarget, {recursive: true})
    const release = await lockfile.lock(this.lockTarget, {
      lockfilePath: join(this.lockTarget, 'sync.lock'),
      retries: {retries: 200, minTimeout: 5, maxTimeout: 50, factor: 1.3},
      stale: 30_000,
    })
    try {
      return await this.syncLocked(head === undefined)
    } finally {
      await release()
    }
  }

  private async syncLocked(detached: boolean): Promise<SyncOutcome> {
    const tip = await this.repo.readRef(this.stateRef)
    if (!tip) return {synced: false, skipped: 'the state branch does not exist yet'}
    let from = await this.lastSynced()
    if (from && !(await this.isAncestor(from, tip))) from = undefined
    from ??= this.startTip
    if (detached) {
      const headCommit = await this.repo.readRef('HEAD')
      if (headCommit !== from && headCommit !== tip) return {synced: false, skipped: 'HEAD is detached away from the state branch'}
    }
    if (from === tip) return {synced: true}
    const args = from ? ['read-tree', '-m', '-u', from, tip] : ['read-tree', '-m', '-u', tip]
    for (let attempt = 0; ; attempt++) {
      const result = await this.repo.git(args, {allowFailure: true})
      if (result.exitCode === 0) break
      // a user's own git command holds the index: wait for it rather than fail
      if (/index\.lock/.test(result.stderr) && attempt < 100) {
        await new Promise((r) => setTimeout(r, 20))
        continue
      }
      return {synced: false, skipped: `git read-tree refused (${result.stderr.trim().split('\n')[0]}); your local edits were kept`}
    }
    if (detached) await this.repo.git(['update-ref', '--no-deref', 'HEAD', tip], {allowFailure: true})
    await writeFile(this.recordFile, `${tip}\n`)
    return {synced: true}
  }

  private async lastSynced(): Promise<string | undefined> {
    try {
      const text = (await readFile(this.recordFile, 'utf8')).trim()
      return /^[0-9a-f]{40}$/.test(text) ? text : undefined
    } catch {
      return undefined
    }
  }

  private async isAncestor(a: string, b: string): Promise<boolean> {
    if (a === b) return true
    const result = await this.repo.git(['merge-base', '--is-ancestor', a, b], {allowFailure: true})
    return result.exitCode === 0
  }
}
