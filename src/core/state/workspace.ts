import {hostname, userInfo} from 'node:os'
import {join} from 'node:path'
import {CommitLock} from '../git/commit-lock.js'
import {objectId} from '../git/objects.js'
import type {FileChange} from '../git/tree-edit.js'
import {InputError} from '../errors.js'
import {remoteNameProblem, workerNameFrom} from '../validation.js'
import {RemoteLink} from '../git/remote.js'
import type {ConfigFile} from '../schemas/index.js'
import {Repo} from '../git/repo.js'
import type {CommitSigner} from '../git/signing.js'
import {treeEntryAt} from '../git/tree-walk.js'
import {WorktreeSync} from '../git/worktree-sync.js'
import {CONFIG_FILE, configLocation} from './layout.js'
import {resolveStateBranch} from './state-branch.js'
import {configCache, type ConfigCache} from './config-cache.js'
import {utf8Text} from './documents.js'
import {StateStore, type Snapshot} from './store.js'
import {commitBatch, type BatchedChange, type CommitOutcome, type Plan, type TransactionHost} from './transaction.js'

/** A change waiting for this process's turn to commit. */
interface QueuedCommit {
  change: BatchedChange<unknown>
  signer?: CommitSigner
  /** may land in one move of the branch with the batchable changes queued behind it */
  batch: boolean
}

/** How long the remote's tip this process learnt counts as current for a claim (see refreshUnlessFresh). */
const REMOTE_FRESH_MS = 250

/** At most this many changes per move of the branch: a claim waiting behind a batch waits for all of it. */
const MAX_BATCH = 16

export interface OpenOptions {
  /** the config to use instead of reading rigor.yaml (init, tests) */
  config?: ConfigFile
  /** a git remote whose branch holds the state (many machines); every change is pushed there */
  remote?: string
}

/**
 * A rigor workspace: a git checkout, its rigor.yaml, and the state branch that
 * every change is committed to by compare-and-swap.
 */
export class Workspace implements TransactionHost {
  readonly store: StateStore
  private readonly worktree: WorktreeSync
  private syncing?: Promise<void>
  private syncAgain = false
  readonly syncWarnings: string[] = []
  /** where core code tells the user something (the CLI prints it on stderr); see warnOnce */
  onWarning: (message: string) => void = () => {}
  private readonly warned = new Set<string>()

  /** Says `message` once for this workspace: once per command. */
  warnOnce(message: string): void {
    if (this.warned.has(message)) return
    this.warned.add(message)
    this.onWarning(message)
  }

  /** the config of the newest tip a transaction planned on (see followConfig), and the id of its rigor.yaml blob */
  private tipConfig: {config: ConfigFile; blob: string | undefined}

  /** The committed rigor.yaml of the state's tip: what judges the next change, however long this process runs. */
  get config(): ConfigFile {
    return this.tipConfig.config
  }

  /** Where `config` was read, as messages about it name it: `rigor.yaml (at main)`. */
  get configFile(): string {
    return configLocation(this.stateBranch, this.remote?.remote)
  }

  private constructor(
    readonly repo: Repo,
    config: ConfigFile,
    configText: string | undefined,
    readonly stateRef: string,
    startTip: string | undefined,
    private readonly configs: ConfigCache,
    readonly remote?: RemoteLink,
  ) {
    this.tipConfig = {config, blob: configText === undefined ? undefined : objectId('blob', Buffer.from(configText), repo.format)}
    // beside refs/ in the shared git dir: every worktree and process of this repository sees it
    this.commitLock = new CommitLock(join(repo.paths.commonDir, 'rigor-commit.lock'))
    this.store = new StateStore(repo)
    this.worktree = new WorktreeSync(repo, stateRef, startTip)
  }

  static async open(cwd: string, opts: OpenOptions = {}): Promise<Workspace> {
    const repo = await Repo.open(cwd)
    try {
      if (opts.remote) {
        const problem = remoteNameProblem(opts.remote)
        if (problem)
          throw new InputError(problem, {field: '--remote', fix: 'name a remote of this repository (git remote -v), e.g. --remote origin'})
        if (!(await repo.hasRemote(opts.remote)))
          throw new InputError(`no git remote named "${opts.remote}"`, {
            fix: `add it with \`git remote add ${opts.remote} <url>\`, or pass the name of an existing remote (git remote -v)`,
          })
      }
      const remoteName = opts.remote
      const cache = configCache(repo.paths.commonDir)
      const state = await resolveStateBranch(repo, {
        config: opts.config,
        remote: remoteName ? (branch) => new RemoteLink(repo, remoteName, branch) : undefined,
        cache,
      })
      const ws = new Workspace(
        repo,
        state.config,
        state.configText,
        state.stateRef,
        await repo.readRef(state.stateRef),
        cache,
        state.remote,
      )
      if (!state.configCached) {
        // a config read for the first time has its conditions compiled now, so that a bad one fails first;
        // one the cache knows passed that check before (conditions.ts compiles them when first asked)
        const {configConditions} = await import('./conditions.js')
        configConditions(ws.config, ws.configFile)
        if (state.configText !== undefined) await cache.remember(state.configText, state.config)
      }
      // an earlier command could not update this checkout: try again now, and say so until it works
      if (await ws.worktree.ownCheckoutBehind(await repo.readRef(state.stateRef))) ws.requestSync()
      return ws
    } catch (err) {
      await repo.close()
      throw err
    }
  }

  /**
   * Takes the config of the tip a transaction is about to plan on, when its rigor.yaml is not the one this process
   * read: a worker that runs for hours (`work --follow`, a long queue) judges, claims and leases by the config
   * committed since, not by the one it started with. A new config that fails its checks judges nothing: what is
   * under way finishes, and is recorded or put back, by the last valid one (a verdict dropped and a claim held until
   * its lease expires would punish the run for the user's typo), and the next claim stops the command with the
   * config's own error (exit 2), as a command that starts on it fails; a tip without rigor.yaml keeps the last one.
   */
  async followConfig(snap: Snapshot): Promise<void> {
    if (!snap.tree || this.tipConfig.blob === undefined) return
    const blob = await treeEntryAt(this.repo, snap.tree, CONFIG_FILE)
    if (blob === undefined || blob === this.tipConfig.blob) {
      this.unusableConfig = undefined
      return
    }
    if (blob === this.unusableConfig?.blob) return
    let config: ConfigFile | undefined
    try {
      const text = utf8Text((await this.repo.readFileAt(snap.tree, CONFIG_FILE))!, this.configFile)
      config = await this.configs.lookup(text)
      if (!config) {
        const [{parseConfig}, {configConditions}] = await Promise.all([import('./config.js'), import('./conditions.js')])
        config = parseConfig(text, this.configFile)
        configConditions(config, this.configFile)
        await this.configs.remember(text, config)
      }
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      this.unusableConfig = {blob, error: err}
      return
    }
    this.unusableConfig = undefined
    // the state moved to another branch: claiming more here would split it in two. What is under way finishes and is
    // put back here (the config it started with judges it); the next claim stops the command (stateStillHere)
    if (config.branch !== undefined && config.branch !== this.stateBranch) {
      this.stateMovedTo = config.branch
      return
    }
    this.stateMovedTo = undefined
    this.tipConfig = {config, blob}
  }

  /** the state branch's short name (`main`) */
  private get stateBranch(): string {
    return this.stateRef.replace(/^refs\/heads\//, '')
  }

  /** the branch a committed rigor.yaml moved the state to while this process ran (see followConfig) */
  private stateMovedTo?: string

  /** a rigor.yaml committed while this process ran that fails its checks, and why (see followConfig) */
  private unusableConfig?: {blob: string; error: InputError}

  /**
   * Refuses new work once the committed rigor.yaml has moved the state to another branch, or fails its checks: a
   * claim calls it as it plans.
   */
  stateStillHere(): void {
    if (this.unusableConfig) {
      const {error} = this.unusableConfig
      throw new InputError(
        `${error.message} (committed while this command ran: what it held was finished or put back under the rigor.yaml it had, and it claims nothing more)`,
        {fix: error.fix, cause: error},
      )
    }
    if (this.stateMovedTo === undefined) return
    throw new InputError(`now names ${this.stateMovedTo} as the state branch, while this command keeps the state on ${this.stateBranch}`, {
      file: this.configFile,
      field: 'branch',
      fix: `start the command again: it reads the state from ${this.stateMovedTo} then (or commit the branch: back as it was)`,
    })
  }

  /** See WorktreeSync.repairOwnIndex: what `rigor verify` uses to mend an index left behind. */
  repairIndex(dirs: readonly string[]) {
    return this.worktree.repairOwnIndex(dirs)
  }

  /** The commit this checkout's index and files were last brought to (undefined: never synced by rigor). */
  syncedCommit(): Promise<string | undefined> {
    return this.worktree.syncedCommit()
  }

  /** See WorktreeSync.whileSettled: look at the working tree while no rigor process is syncing it. */
  whileCheckoutSettled<T>(look: (synced: string | undefined) => Promise<T>): Promise<T> {
    return this.worktree.whileSettled(look)
  }

  get root(): string {
    return this.repo.paths.root
  }

  get distributed(): boolean {
    return this.remote !== undefined
  }

  /** The state's tip: the local branch, or the last fetched state of the remote branch. */
  readTip(): Promise<string | undefined> {
    return this.repo.readRef(this.remote ? this.remote.trackingRef : this.stateRef)
  }

  async publish(commit: string, tip: string | undefined): Promise<void> {
    // due before the branch moves: a stop while it does waits for the checkout to follow (afterCommit asks for it)
    this.setSyncDue(true)
    this.publishing++
    try {
      if (!this.remote) await this.repo.compareAndSwapRef(this.stateRef, commit, tip)
      else {
        await this.remote.push(commit, tip)
        this.remoteSeenAt = Date.now()
        await this.followRemote(commit)
      }
      this.landedUnsynced = true
    } finally {
      this.publishing--
      this.syncDueEnds()
    }
  }

  /** Lets the local branch follow the remote state when that is a fast-forward; never drops local commits. */
  private followed?: string

  private async followRemote(commit: string): Promise<void> {
    const local = await this.repo.readRef(this.stateRef)
    if (local === commit) return
    // a local branch still where we last put it has nothing of its own: moving it on is a fast-forward
    if (local && local !== this.followed) {
      if (!(await this.repo.isAncestor(local, commit))) {
        const warning = `${this.stateRef} has commits that ${this.remote!.remote} does not: the local branch was left alone (git pull --rebase to bring it along)`
        if (!this.syncWarnings.includes(warning)) this.syncWarnings.push(warning)
        return
      }
    }
    await this.repo.compareAndSwapRef(this.stateRef, commit, local).then(
      () => (this.followed = commit),
      () => {},
    )
  }

  /** when this process last learnt the remote's tip (a fetch, or a push of its own that landed) */
  private remoteSeenAt = 0

  /**
   * Fetches before a claim decides, unless there is nothing to gain: right after
   * this process's own fetch or landed push, and while no other clone is winning
   * races, the tip it has is the remote's, and a fetch would cost a round trip and
   * keep the claim from landing in one push with the verdicts queued beside it. A
   * stale guess costs one rejected push, then a fetch.
   */
  async refreshUnlessFresh(): Promise<void> {
    const now = Date.now()
    if (now - this.remoteSeenAt > REMOTE_FRESH_MS || now - this.lastConflictAt < REMOTE_FRESH_MS * 8) await this.refresh()
  }

  /** the fetch of refreshOlderThan under way, which the others join */
  private sharedRefresh?: Promise<void>

  /**
   * Fetches unless this process learnt the remote's tip less than `ms` ago, or joins the fetch under way: the
   * watches of a worker's slots, each looking every 2 s for a cancel, share one fetch rather than make one each.
   */
  async refreshOlderThan(ms: number): Promise<void> {
    if (this.sharedRefresh) return this.sharedRefresh
    if (Date.now() - this.remoteSeenAt < ms) return
    this.sharedRefresh = this.refresh().finally(() => (this.sharedRefresh = undefined))
    return this.sharedRefresh
  }

  /** Fetches the remote state; the working tree follows it when that is a fast-forward. */
  async refresh(): Promise<void> {
    if (!this.remote) return
    const tip = await this.remote.fetch()
    this.remoteSeenAt = Date.now()
    if (tip) {
      await this.followRemote(tip)
      this.requestSync()
    }
  }

  snapshot(commit?: string): Promise<Snapshot> {
    return this.store.snapshot(commit)
  }

  async currentSnapshot(): Promise<Snapshot> {
    return this.snapshot(await this.readTip())
  }

  private readonly commitQueue: {urgent: QueuedCommit[]; normal: QueuedCommit[]} = {urgent: [], normal: []}
  private committing = false

  /**
   * Commits one change. A process's own transactions run one at a time, so it
   * never races itself; `urgent` ones (claims, which a slot waits on) go before
   * queued ones that nothing waits on (a verdict committed behind a running slot).
   * `batch` ones that queue up while another commit is landing (the verdicts of
   * short runs) land together: each its own commit, one move of the branch.
   */
  commit<T>(
    plan: (snap: Snapshot, attempt: number) => Promise<Plan<T>>,
    opts: {urgent?: boolean; signer?: CommitSigner; batch?: boolean} = {},
  ): Promise<CommitOutcome<T>> {
    return new Promise<CommitOutcome<T>>((resolve, reject) => {
      const queued: QueuedCommit = {
        change: {plan, resolve: resolve as (outcome: CommitOutcome<unknown>) => void, reject},
        signer: opts.signer,
        batch: opts.batch === true && !opts.signer,
      }
      ;(opts.urgent ? this.commitQueue.urgent : this.commitQueue.normal).push(queued)
      void this.drainCommits()
    })
  }

  /**
   * What to do when a merge, rebase, cherry-pick, revert or bisect is in progress
   * where rigor would commit: `refuse` (exit 2, one-shot commands), or `wait`
   * until it is finished (a work loop that already holds claims, whose verdicts
   * and releases must land once the user is done).
   */
  whenOperationInProgress: 'refuse' | 'wait' = 'refuse'
  private waitingSaid = false

  /** Refuses (exit 2) when rigor must not commit now; see whenOperationInProgress. */
  async assertCanCommit(): Promise<void> {
    const op = await this.worktree.blockingOperation()
    if (op) throw operationError(op)
  }

  private async awaitNoOperation(): Promise<void> {
    for (;;) {
      const op = await this.worktree.blockingOperation()
      if (!op) return
      if (this.whenOperationInProgress === 'refuse') throw operationError(op)
      if (!this.waitingSaid) {
        this.waitingSaid = true
        this.syncWarnings.push(`a ${op.name} was in progress in ${op.path}: rigor waited for it to finish before committing`)
        this.onWait?.(`a ${op.name} is in progress in ${op.path}: rigor waits for it before it commits (${op.finish})`)
      }
      await new Promise((r) => setTimeout(r, 1000))
    }
  }

  /** told once when commits wait for a git operation to finish */
  onWait?: (message: string) => void

  private async drainCommits(): Promise<void> {
    if (this.committing) return
    this.committing = true
    try {
      for (let next = this.nextCommits(); next.length > 0; next = this.nextCommits()) {
        const changes = next.map((q) => q.change)
        try {
          await this.awaitNoOperation()
        } catch (err) {
          for (const change of changes) change.reject(err)
          continue
        }
        await commitBatch(this, changes, {signer: next[0]!.signer})
      }
    } finally {
      this.committing = false
    }
  }

  /**
   * The next queued change (an urgent one first) and, when it may be batched,
   * the batchable changes queued behind it: urgent ones first, then the others,
   * each queue in its order.
   */
  private nextCommits(): QueuedCommit[] {
    const first = this.commitQueue.urgent.shift() ?? this.commitQueue.normal.shift()
    if (!first) return []
    const batch = [first]
    if (!first.batch) return batch
    for (const queue of [this.commitQueue.urgent, this.commitQueue.normal]) {
      while (batch.length < MAX_BATCH && queue[0]?.batch) batch.push(queue.shift()!)
    }
    return batch
  }

  private readonly commitLock: CommitLock

  lastConflictAt = 0

  lockCommits(): Promise<() => Promise<void>> {
    return this.commitLock.acquire()
  }

  afterCommit(): void {
    this.requestSync()
  }

  rememberDocuments(files: Map<string, FileChange>, documents: Map<string, unknown>): void {
    for (const [path, doc] of documents) {
      const content = files.get(path)
      if (content === null || content === undefined) continue
      this.store.remember(objectId('blob', typeof content === 'string' ? Buffer.from(content) : content, this.repo.format), doc)
    }
  }

  /**
   * How long a sync may wait to take more commits along. 0 syncs after every
   * commit; the work loop raises it, since each sync spawns git several times.
   */
  syncDelayMs = 0
  private syncTimer?: NodeJS.Timeout

  /**
   * Told when a sync of the checkouts becomes due (true) and when none is due or running any more (false): a
   * process killed in between leaves a checkout's index behind the branch (cli/signals.ts holds stop signals then).
   */
  private onSyncDue?: (due: boolean) => void
  private syncDue = false

  /** `told` hears of every change, and at once of a sync already due (Workspace.open may have asked for one) */
  watchSyncDue(told: (due: boolean) => void): void {
    this.onSyncDue = told
    if (this.syncDue) told(true)
  }

  private settledWaiters: Array<() => void> = []
  /** commits being published, and whether one landed whose sync is not asked for yet (afterCommit asks) */
  private publishing = 0
  private landedUnsynced = false

  /** no longer due once nothing is being published, no landed commit waits for its sync, and no sync waits or runs */
  private syncDueEnds(): void {
    if (this.publishing === 0 && !this.landedUnsynced && !this.syncing && !this.syncTimer) this.setSyncDue(false)
  }

  private setSyncDue(due: boolean): void {
    if (due === this.syncDue) return
    this.syncDue = due
    this.onSyncDue?.(due)
    if (!due) for (const settled of this.settledWaiters.splice(0)) settled()
  }

  /** Resolves once no commit is being published and no sync is due or running: the checkouts follow the branch. */
  whenSynced(): Promise<void> {
    if (!this.syncDue) return Promise.resolve()
    // a sync that waits for its delay runs now
    if (this.syncTimer) void this.flushSync()
    return new Promise((resolve) => this.settledWaiters.push(resolve))
  }

  /** Syncs the working tree soon; calls while a sync waits or runs coalesce into one more. */
  requestSync(): void {
    this.setSyncDue(true)
    this.landedUnsynced = false
    if (this.syncing) {
      this.syncAgain = true
      return
    }
    if (this.syncDelayMs > 0) {
      this.syncTimer ??= setTimeout(() => {
        this.syncTimer = undefined
        this.startSync()
      }, this.syncDelayMs)
      return
    }
    this.startSync()
  }

  private startSync(): void {
    if (this.syncing) {
      this.syncAgain = true
      return
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false
        // a checkout that cannot follow is said, never a reason to fail a command whose commit has landed
        const outcome = await this.worktree
          .sync()
          .catch((err: Error) => ({synced: [], skipped: [`${this.root}: ${err.message.split('\n')[0]}`]}))
        for (const skipped of outcome.skipped) {
          const warning = `working tree not fully updated: ${skipped}`
          if (!this.syncWarnings.includes(warning)) this.syncWarnings.push(warning)
        }
        // commits that landed meanwhile wait their delay too: a busy work loop syncs once a delay, not back to back
      } while (this.syncAgain && this.syncDelayMs === 0)
    })().finally(() => {
      this.syncing = undefined
      if (this.syncAgain) {
        this.syncAgain = false
        this.requestSync()
      }
      this.syncDueEnds()
    })
  }

  /** Syncs now what waits for its delay, and waits until every sync has run. */
  async flushSync(): Promise<void> {
    for (;;) {
      if (this.syncTimer) {
        clearTimeout(this.syncTimer)
        this.syncTimer = undefined
        this.startSync()
      }
      if (!this.syncing) return
      // a sync that ends with commits waiting arms the timer again: loop until nothing waits
      await this.syncing
    }
  }

  async close(): Promise<void> {
    try {
      await this.flushSync()
      await this.store.persist()
    } finally {
      await this.repo.close()
    }
  }
}

function operationError(op: {name: string; finish: string; path: string}): InputError {
  return new InputError(
    `a ${op.name} is in progress in ${op.path}: rigor does not commit now, because finishing the ${op.name} would revert what it commits`,
    {
      fix: `${op.finish}, then run the command again`,
    },
  )
}

export function defaultWorkerName(): string {
  // a host name that does not start with a letter or a digit (or none at all) still gives a worker name
  return workerNameFrom(
    `${hostname()
      .split('.')[0]!
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')}-${process.pid}`,
  )
}

/**
 * Who seeds when no one is named (`rigor seed` without --by or RIGOR_WORKER): the
 * user name, made a worker name (`John Smith` is `John_Smith`). A process whose uid
 * has no user entry (a container run with `--user 12345`) has none: then $USER or
 * $LOGNAME, else the default worker name.
 */
export function defaultSeederName(userName: () => string = () => userInfo().username): string {
  let name: string | undefined
  try {
    name = userName()
  } catch {
    name = process.env.USER || process.env.LOGNAME
  }
  return name ? workerNameFrom(name) : defaultWorkerName()
}
