import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {isAbsolute, join, resolve} from 'node:path'
import lockfile from 'proper-lockfile'
import {isObjectId, type ObjectFormat} from './object-format.js'
import type {Repo} from './repo.js'

export interface SyncOutcome {
  synced: string[]
  /** worktrees left alone, with why */
  skipped: string[]
}

interface WorktreeInfo {
  path: string
  gitDir: string
  head: string | undefined
  branch: string | undefined
}

/**
 * Brings every checkout of the state branch (this one and the repository's other
 * worktrees) up to the branch after rigor moved it with plumbing.
 * `git read-tree -m -u <last synced> <tip>` is git's own fast-forward: it updates
 * only paths that changed between the two, keeps the user's staged and unstaged
 * edits, and refuses rather than overwrite one.
 */
export class WorktreeSync {
  constructor(
    private readonly repo: Repo,
    private readonly stateRef: string,
    /** the tip this command saw first: the base for its own worktree when none was recorded */
    private readonly startTip: string | undefined,
  ) {}

  async sync(): Promise<SyncOutcome> {
    const outcome: SyncOutcome = {synced: [], skipped: []}
    for (const wt of await this.worktrees()) {
      if (wt.branch && wt.branch !== this.stateRef) continue
      const result = await this.syncWorktree(wt)
      if (result === true) outcome.synced.push(wt.path)
      else if (result) outcome.skipped.push(`${wt.path}: ${result}`)
    }
    return outcome
  }

  private listed?: {at: number; list: WorktreeInfo[]}
  private readonly written = new Set<string>()

  /** The worktrees, listed again at most every few seconds: they rarely change while a command runs. */
  private async worktrees(): Promise<WorktreeInfo[]> {
    if (this.listed && Date.now() - this.listed.at < 5000) return this.listed.list
    this.listed = {at: Date.now(), list: await this.listWorktrees()}
    return this.listed.list
  }

  private async listWorktrees(): Promise<WorktreeInfo[]> {
    const own: WorktreeInfo = {path: this.repo.paths.root, gitDir: this.repo.paths.gitDir, head: undefined, branch: undefined}
    const listing = await this.repo.git(['worktree', 'list', '--porcelain'], {allowFailure: true})
    if (listing.exitCode !== 0) return [{...own, branch: await this.repo.headRef()}]
    const list: WorktreeInfo[] = []
    for (const block of listing.stdout.split('\n\n')) {
      const lines = block.split('\n')
      const path = lines.find((l) => l.startsWith('worktree '))?.slice(9)
      if (!path || lines.includes('bare') || lines.some((l) => l.startsWith('prunable'))) continue
      const head = lines.find((l) => l.startsWith('HEAD '))?.slice(5)
      const branch = lines.find((l) => l.startsWith('branch '))?.slice(7)
      list.push({path, head, branch, gitDir: resolve(path) === resolve(own.path) ? own.gitDir : await gitDirOf(path, this.repo.paths.commonDir)})
    }
    return list
  }

  /** true when synced, a reason when skipped, undefined when there was nothing to do */
  private async syncWorktree(wt: WorktreeInfo): Promise<true | string | undefined> {
    const rigorDir = join(wt.gitDir, 'rigor')
    await mkdir(rigorDir, {recursive: true})
    const release = await lockfile.lock(rigorDir, {
      lockfilePath: join(rigorDir, 'sync.lock'),
      retries: {retries: 400, minTimeout: 5, maxTimeout: 50, factor: 1.3},
      stale: 30_000,
    })
    try {
      // read under the lock: a tip read before it may be older than what another process synced
      const tip = await this.repo.readRef(this.stateRef)
      if (!tip) return undefined
      const recordFile = join(rigorDir, 'synced')
      const isOwn = resolve(wt.path) === resolve(this.repo.paths.root)
      const detached = !wt.branch
      let from = await readRecord(recordFile, this.repo.format)
      // a record this process wrote itself needs no ancestry check
      if (from && !this.written.has(from) && !(await this.isAncestor(from, tip))) from = undefined
      if (!from && detached) from = wt.head
      if (!from && isOwn) from = this.startTip
      if (!from && !isOwn) return undefined
      if (detached) {
        const head = await readRecord(join(wt.gitDir, 'HEAD'), this.repo.format)
        if (head !== from && head !== tip) return 'HEAD is detached away from the state branch'
      }
      if (from === tip) return undefined
      const args = from ? ['read-tree', '-m', '-u', from, tip] : ['read-tree', '-m', '-u', tip]
      for (let attempt = 0; ; attempt++) {
        const result = await this.repo.git(args, {cwd: wt.path, allowFailure: true})
        if (result.exitCode === 0) break
        // a user's own git command holds the index: wait for it rather than fail
        if (/index\.lock/.test(result.stderr) && attempt < 100) {
          await new Promise((r) => setTimeout(r, 20))
          continue
        }
        return `git read-tree refused (${result.stderr.trim().split('\n')[0]}); local edits were kept`
      }
      if (detached) await this.repo.git(['update-ref', '--no-deref', 'HEAD', tip], {cwd: wt.path, allowFailure: true})
      await writeFile(recordFile, `${tip}\n`)
      this.written.add(tip)
      return true
    } finally {
      await release()
    }
  }

  private async isAncestor(a: string, b: string): Promise<boolean> {
    if (a === b) return true
    const result = await this.repo.git(['merge-base', '--is-ancestor', a, b], {allowFailure: true})
    return result.exitCode === 0
  }
}

async function readRecord(file: string, format: ObjectFormat): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim()
    return isObjectId(text, format) ? text : undefined
  } catch {
    return undefined
  }
}

/** A linked worktree's `.git` is a file naming its git dir. */
async function gitDirOf(path: string, commonDir: string): Promise<string> {
  try {
    const text = (await readFile(join(path, '.git'), 'utf8')).trim()
    const dir = text.replace(/^gitdir: /, '')
    return isAbsolute(dir) ? dir : resolve(path, dir)
  } catch {
    return commonDir
  }
}
