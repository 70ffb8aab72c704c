import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {syncIndexPaths} from './index-sync.js'
import {operationInProgress, type OperationInProgress} from './operations.js'
import {acquireLock, LockTimeoutError} from './process-lock.js'
import {isObjectId, type ObjectFormat} from './object-format.js'
import {objectId} from './objects.js'
import type {Repo} from './repo.js'
import {checkoutGit, listCheckouts, type CheckoutInfo} from './worktrees.js'

export interface SyncOutcome {
  synced: string[]
  /** worktrees left alone, with why */
  skipped: string[]
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
    outcome.skipped.push(...this.kept.splice(0))
    return outcome
  }

  /**
   * A git operation in progress in a checkout whose index rigor's commits would
   * leave behind: one that has the state branch checked out, one rebasing it, or
   * this command's own checkout. undefined when rigor may commit.
   */
  async blockingOperation(): Promise<(OperationInProgress & {path: string}) | undefined> {
    for (const wt of await this.worktrees()) {
      const op = await operationInProgress(wt.gitDir)
      if (!op) continue
      const own = resolve(wt.path) === resolve(this.repo.paths.root)
      if (own || wt.branch === this.stateRef || op.branch === this.stateRef) return {...op, path: wt.path}
    }
    return undefined
  }

  /** Whether this checkout holds the state branch and its index is behind the branch's tip (an earlier sync failed). */
  async ownCheckoutBehind(tip: string | undefined): Promise<boolean> {
    if (!tip) return false
    const head = await this.repo.headRef()
    if (head !== this.stateRef) return false
    const record = await readRecord(join(this.repo.paths.gitDir, 'rigor', 'synced'), this.repo.format)
    return record !== undefined && record !== tip
  }

  /**
   * Finds index entries of this checkout that hold an older version of a path
   * than the state tip (a sync that failed, a crash between moving the branch
   * and syncing) and brings them to the tip, keeping the user's staged and
   * unstaged edits. `rigor verify` runs it. Only for a checkout of the state branch.
   */
  async repairOwnIndex(dirs: readonly string[]): Promise<{behind: string[]; repaired: number; kept: string[]} | undefined> {
    if ((await this.repo.headRef()) !== this.stateRef) return undefined
    const tip = await this.repo.readRef(this.stateRef)
    if (!tip) return undefined
    const differing = await this.repo.git(['diff-index', '--cached', '--name-only', '-z', tip, '--', ...dirs], {allowFailure: true})
    const behind = differing.stdout.split('\0').filter(Boolean)
    if (behind.length === 0) return {behind, repaired: 0, kept: []}
    const release = await acquireLock(join(this.repo.paths.gitDir, 'rigor', 'sync.lock'), {
      staleMs: 60_000,
      timeoutMs: 60_000,
      purpose: 'working tree sync',
    })
    try {
      // every version the branch had in its recent history counts as stale; anything else is the user's
      const log = await this.repo.git(['log', '--first-parent', '--max-count=500', '--format=%H %T', tip])
      const chain = log.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [oid, tree] = line.split(' ')
          return {oid: oid!, tree: tree!}
        })
        .reverse()
      const result = await syncIndexPaths(
        this.repo,
        {path: this.repo.paths.root, gitDir: this.repo.paths.gitDir},
        chain.slice(0, -1),
        chain.at(-1)!,
      )
      await mkdir(join(this.repo.paths.gitDir, 'rigor'), {recursive: true})
      await writeFile(join(this.repo.paths.gitDir, 'rigor', 'synced'), `${tip}\n`)
      return {behind, repaired: result.updated, kept: result.kept}
    } finally {
      await release()
    }
  }

  syncedCommit(): Promise<string | undefined> {
    return readRecord(join(this.repo.paths.gitDir, 'rigor', 'synced'), this.repo.format)
  }

  /**
   * Runs `look` with this checkout settled: under its sync lock, so no other
   * rigor process is halfway through bringing files to a newer tip, and with the
   * commit they were last brought to. Comparing files against that commit
   * outside the lock would call another process's sync an edit.
   */
  async whileSettled<T>(look: (synced: string | undefined) => Promise<T>): Promise<T> {
    const rigorDir = join(this.repo.paths.gitDir, 'rigor')
    await mkdir(rigorDir, {recursive: true})
    const release = await acquireLock(join(rigorDir, 'sync.lock'), {staleMs: 60_000, timeoutMs: 60_000, purpose: 'working tree sync'})
    try {
      // a checkout rigor never synced is where git left it: the branch as this process found it, as sync takes it too.
      // Not the tip: through a remote that is another clone's newer state, and every file it changed would read as an edit
      return await look((await this.syncedCommit()) ?? this.startTip)
    } finally {
      await release()
    }
  }

  private listed?: {at: number; list: CheckoutInfo[]}
  private readonly written = new Set<string>()

  /** The worktrees, listed again at most every few seconds: they rarely change while a command runs. */
  private async worktrees(): Promise<CheckoutInfo[]> {
    if (this.listed && Date.now() - this.listed.at < 5000) return this.listed.list
    this.listed = {at: Date.now(), list: await listCheckouts(this.repo)}
    return this.listed.list
  }

  /** true when synced, a reason when skipped, undefined when there was nothing to do */
  private async syncWorktree(wt: CheckoutInfo): Promise<true | string | undefined> {
    const rigorDir = join(wt.gitDir, 'rigor')
    await mkdir(rigorDir, {recursive: true})
    let release: () => Promise<void>
    try {
      release = await acquireLock(join(rigorDir, 'sync.lock'), {staleMs: 60_000, timeoutMs: 60_000, purpose: 'working tree sync'})
    } catch (err) {
      if (err instanceof LockTimeoutError)
        return `another rigor process (${err.holder}) has been updating this checkout for a minute; it will be brought up to date by the next command`
      throw err
    }
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
      // no `from`: the branch was unborn (rigor init's first commit). A merge from the empty tree, not a one-tree
      // read-tree -u, which deletes from the disk every file the user had staged but never committed
      const outcome = from
        ? await this.moveIndex(wt, from, tip)
        : await this.readTree(wt, ['read-tree', '-m', '-u', objectId('tree', Buffer.alloc(0), this.repo.format), tip])
      if (outcome !== true) return outcome
      if (detached) await this.repo.git(['update-ref', '--no-deref', 'HEAD', tip], {...checkoutGit(wt), allowFailure: true})
      await writeFile(recordFile, `${tip}\n`)
      this.written.add(tip)
      return true
    } finally {
      await release()
    }
  }

  /** Warnings about paths a path-by-path sync left as the user has them, kept for the command to print. */
  readonly kept: string[] = []

  /**
   * Moves the worktree's index (and its unedited files) from `from` to `tip`.
   * When only rigor committed since `from`, the index still matches it, and
   * `read-tree -m -u` is git's own fast-forward. When someone else committed on
   * the branch (a revert, a note), or read-tree refuses (a merge in progress, a
   * runner's stray file), the index moves path by path instead: it must never
   * stay behind the branch, or the next plain `git commit` reverts rigor's work.
   */
  private async moveIndex(wt: CheckoutInfo, from: string, tip: string): Promise<true | string> {
    const history = await this.history(from, tip)
    if (history.onlyRigor) {
      const args = ['read-tree', '-m', '-u', from, tip]
      let fast = await this.readTree(wt, args)
      // a copied, moved or restored checkout (or a touched file): the index's stat data no longer
      // matches the files, and read-tree refuses a file it has not read. Refreshed (what `git status`
      // does), the unedited files pass and every later sync takes this path again.
      if (fast !== true && /not uptodate/.test(fast) && (await this.refreshIndex(wt))) fast = await this.readTree(wt, args)
      if (fast === true || /index\.lock/.test(fast)) return fast
    }
    const tipTree = await this.repo.commitTree(tip)
    const result = await syncIndexPaths(this.repo, wt, history.commits, {oid: tip, tree: tipTree}).catch((err: Error) => err)
    if (result instanceof Error) {
      const lock = /index\.lock/.test(result.message)
      return lock ? indexLockReason(wt.gitDir) : `could not update the index: ${result.message.split('\n')[0]}`
    }
    for (const kept of result.kept) this.kept.push(`${wt.path}: ${kept}`)
    return true
  }

  /** The first-parent commits from `from` up to (not including) `tip`, oldest first, and whether rigor wrote all those after `from`. */
  private async history(from: string, tip: string): Promise<{commits: Array<{oid: string; tree: string}>; onlyRigor: boolean}> {
    const log = await this.repo.git(['log', '--first-parent', '--max-count=500', '--format=%H %T%x1f%B%x1e', `${from}..${tip}`])
    const entries = log.stdout
      .split('\x1e')
      .map((e) => e.trim())
      .filter(Boolean)
      .map((e) => {
        const [head, body] = e.split('\x1f')
        const [oid, tree] = head!.split(' ')
        return {oid: oid!, tree: tree!, rigor: /^Rigor-Action: /m.test(body ?? '')}
      })
      .reverse()
    const between = entries.slice(0, -1)
    const fromTree = await this.repo.commitTree(from)
    return {
      commits: [{oid: from, tree: fromTree}, ...between.map(({oid, tree}) => ({oid, tree}))],
      onlyRigor: entries.every((e) => e.rigor),
    }
  }

  /** Refreshes the stat data of the index entries whose files are unchanged; false when git could not. */
  private async refreshIndex(wt: CheckoutInfo): Promise<boolean> {
    const result = await this.repo.git(['update-index', '-q', '--ignore-submodules', '--refresh'], {...checkoutGit(wt), allowFailure: true})
    // with -q, files that really differ are left as they are (exit 0): a failure is the index that could not be written
    return result.exitCode === 0
  }

  private async readTree(wt: CheckoutInfo, args: string[]): Promise<true | string> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.repo.git(args, {...checkoutGit(wt), allowFailure: true})
      if (result.exitCode === 0) return true
      // a user's own git command holds the index for a moment: wait for it rather than fail
      if (/index\.lock/.test(result.stderr)) {
        if (attempt < 100) {
          await new Promise((r) => setTimeout(r, 20))
          continue
        }
        return indexLockReason(wt.gitDir)
      }
      return `git read-tree refused (${result.stderr.trim().split('\n')[0]})`
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

function indexLockReason(gitDir: string): string {
  const lock = join(gitDir, 'index.lock')
  return `${lock} exists, so the index cannot be updated and is behind the state branch: do not commit in this checkout until it is fixed. If no git command is running, remove the lock (rm ${lock}); the next rigor command brings the checkout up to date`
}
