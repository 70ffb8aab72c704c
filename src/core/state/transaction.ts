import {statSync} from 'node:fs'
import {CheckFailedError, RefConflictError, RefLockedError} from '../errors.js'
import {formatCommitMessage, type CommitMessage} from './commit-message.js'
import type {CommitSigner} from '../git/signing.js'
import {editTree, type FileChange} from '../git/tree-edit.js'
import type {Snapshot} from './store.js'

export interface PlannedChange<T> {
  files: Map<string, FileChange>
  message: CommitMessage
  result: T
  /** the validated documents some of `files` hold, by path: the state store learns them rather than parse what was just written */
  documents?: Map<string, unknown>
}

/** What a transaction body decides after looking at the current state: write something, or nothing. */
export type Plan<T> = PlannedChange<T> | {files?: undefined; result: T}

export interface TransactionHost {
  readonly stateRef: string
  readTip(): Promise<string | undefined>
  snapshot(commit: string | undefined): Promise<Snapshot>
  repo: import('../git/repo.js').Repo
  /** moves the state to `commit` if it is still at `tip` (a local CAS, or a push); RefConflictError otherwise */
  publish(commit: string, tip: string | undefined): Promise<void>
  /** after a lost race: learn the new tip (a fetch, for a remote) */
  refresh(): Promise<void>
  /** true when the state lives on a remote: lost races cost a fetch, so back off longer */
  readonly distributed: boolean
  afterCommit(commit: string): void
  /** optional: take the config committed at the tip about to be planned on (see Workspace.followConfig) */
  followConfig?(snap: Snapshot): Promise<void>
  /** optional: documents the landed commit wrote, with their files (see PlannedChange.documents) */
  rememberDocuments?(files: Map<string, FileChange>, documents: Map<string, unknown>): void
  /** optional: serialise writers of one machine (see CommitLock) */
  lockCommits?(): Promise<() => Promise<void>>
  /** when this host last lost a race (ms since the epoch): while racing, writers take turns through lockCommits */
  lastConflictAt: number
}

export interface CommitOutcome<T> {
  result: T
  commit?: string
  /** how many times another writer moved the branch first */
  conflicts: number
}

const MAX_ATTEMPTS = 1000
/**
 * How old a branch lock may be before it counts as a crashed git's leftover. A live
 * one lasts milliseconds, but on a loaded machine its holder can wait seconds for a
 * CPU; a lock left behind is older than this at once (its file keeps its time).
 */
const REF_LOCK_PATIENCE_MS = 5000
/** A lock younger than this is a live writer's (it lasts milliseconds): its holder is not looked up */
const DEAD_HOLDER_AFTER_MS = 200

/** ms since the lock file was written, or undefined once it is gone */
function lockAge(lockFile: string): number | undefined {
  const stat = statSync(lockFile, {throwIfNoEntry: false})
  return stat ? Date.now() - stat.mtimeMs : undefined
}

function staleRefLock(lockFile: string): CheckFailedError {
  return new CheckFailedError(
    `${lockFile} has existed for over ${REF_LOCK_PATIENCE_MS / 1000} seconds: a git process holds the branch's lock, or one crashed and left it behind`,
    {
      fix: `make sure no git command is running in this repository (e.g. \`ps -ef | grep git\`), then remove the lock: rm '${lockFile}'`,
    },
  )
}
const CONTENDED_FOR_MS = 2000

/** One change of a batch: its plan, and how its caller hears of the outcome. */
export interface BatchedChange<T> {
  plan: (snap: Snapshot, attempt: number) => Promise<Plan<T>>
  resolve(outcome: CommitOutcome<T>): void
  reject(err: unknown): void
}

/**
 * Read the tip, decide, write objects, then move the branch only if it still
 * points at the tip that was read (compare-and-swap). A lost race rebuilds the
 * change on the new tip, so every decision is made against the state it lands on.
 */
export async function commitTransaction<T>(
  host: TransactionHost,
  plan: (snap: Snapshot, attempt: number) => Promise<Plan<T>>,
  opts: {signer?: CommitSigner} = {},
): Promise<CommitOutcome<T>> {
  return new Promise<CommitOutcome<T>>((resolve, reject) => {
    void commitBatch(host, [{plan, resolve: resolve as (outcome: CommitOutcome<unknown>) => void, reject}], opts)
  })
}

/**
 * Several changes published by one move of the branch (one push, on a remote):
 * each is still its own commit, decided against the state the changes before it
 * left, so history reads as if they had landed one by one, but a worker whose
 * short runs finish together pays for one compare-and-swap, or one push, instead
 * of one each. A change whose plan throws is told so and left out; the others
 * go on. A lost race decides the whole batch again on the new tip. Every change
 * hears of its outcome through its own callbacks; this never throws.
 */
export async function commitBatch(
  host: TransactionHost,
  changes: ReadonlyArray<BatchedChange<unknown>>,
  opts: {signer?: CommitSigner} = {},
): Promise<void> {
  const live = new Set(changes)
  try {
    await landBatch(host, live, opts)
  } catch (err) {
    for (const change of live) change.reject(err)
  }
}

async function landBatch(host: TransactionHost, live: Set<BatchedChange<unknown>>, opts: {signer?: CommitSigner}): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // take turns with the machine's other writers only while they are racing us: the lock costs file operations
    const contended = attempt > 0 || Date.now() - host.lastConflictAt < CONTENDED_FOR_MS
    const release = contended ? await host.lockCommits?.() : undefined
    let landed: Array<{change: BatchedChange<unknown>; outcome: CommitOutcome<unknown>}> | undefined
    let last: string | undefined
    try {
      const tip = await host.readTip()
      let head = tip
      let snap = await host.snapshot(tip)
      // plans judge by the config of the tip they build on: someone may have committed a new rigor.yaml since
      await host.followConfig?.(snap)
      const decided: Array<{change: BatchedChange<unknown>; outcome: CommitOutcome<unknown>}> = []
      const order = [...live]
      for (const [i, change] of order.entries()) {
        let plan: Plan<unknown>
        try {
          plan = await change.plan(snap, attempt)
        } catch (err) {
          live.delete(change)
          change.reject(err)
          continue
        }
        if (!plan.files || plan.files.size === 0) {
          decided.push({change, outcome: {result: plan.result, conflicts: attempt}})
          continue
        }
        const tree = await editTree(host.repo, snap.tree, plan.files)
        head = await host.repo.writeCommit(tree, head ? [head] : [], formatCommitMessage(plan.message), opts.signer)
        decided.push({change, outcome: {result: plan.result, commit: head, conflicts: attempt}})
        // documents are known by their blob's id, whether or not this commit lands: learnt now, the snapshot the
        // next change of the batch decides on (the state this one leaves) needs no parse of them
        if (plan.documents) host.rememberDocuments?.(plan.files, plan.documents)
        if (i < order.length - 1) snap = await host.snapshot(head)
      }
      if (head !== tip) await host.publish(head!, tip)
      last = head !== tip ? head : undefined
      landed = decided
    } catch (err) {
      if (err instanceof RefLockedError) {
        // git holds a ref lock for milliseconds; one that stays is a crashed git's leftover, not a race. Judged by
        // the lock file's own age: timing from the first lock seen took another writer's later lock for the same one.
        // A lock a killed rigor process left names it, and goes at once
        if ((lockAge(err.lockFile) ?? 0) > DEAD_HOLDER_AFTER_MS && (await host.repo.removeDeadRefLock(err.lockFile))) continue
        if ((lockAge(err.lockFile) ?? 0) > REF_LOCK_PATIENCE_MS) throw staleRefLock(err.lockFile)
      } else if (!(err instanceof RefConflictError)) throw err
      host.lastConflictAt = Date.now()
    } finally {
      await release?.()
    }
    if (landed) {
      if (last) host.afterCommit(last)
      for (const {change, outcome} of landed) {
        live.delete(change)
        change.resolve(outcome)
      }
      return
    }
    if (live.size === 0) return
    // jittered backoff spreads competing writers apart
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25) * (host.distributed ? 4 : 1)))
    await host.refresh()
  }
  throw new CheckFailedError(`gave up after ${MAX_ATTEMPTS} lost races on ${host.stateRef}`, {
    fix: 'other writers keep moving the branch: try again when fewer workers run, or give them a remote to share',
  })
}
