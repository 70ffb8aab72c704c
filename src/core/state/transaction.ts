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
const REF_LOCK_PATIENCE_MS = 1000

function staleRefLock(lockFile: string): CheckFailedError {
  return new CheckFailedError(
    `${lockFile} has existed for over a second: a git process holds the branch's lock, or one crashed and left it behind`,
    {
      fix: `make sure no git command is running in this repository (e.g. \`ps -ef | grep git\`), then remove the lock: rm '${lockFile}'`,
    },
  )
}
const CONTENDED_FOR_MS = 2000

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
  let lockedSince: number | undefined
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // take turns with the machine's other writers only while they are racing us: the lock costs file operations
    const contended = attempt > 0 || Date.now() - host.lastConflictAt < CONTENDED_FOR_MS
    const release = contended ? await host.lockCommits?.() : undefined
    let landed: CommitOutcome<T> | undefined
    try {
      const tip = await host.readTip()
      const snap = await host.snapshot(tip)
      const decided = await plan(snap, attempt)
      if (!decided.files || decided.files.size === 0) return {result: decided.result, conflicts: attempt}
      const tree = await editTree(host.repo, snap.tree, decided.files)
      const commit = await host.repo.writeCommit(tree, tip ? [tip] : [], formatCommitMessage(decided.message), opts.signer)
      await host.publish(commit, tip)
      landed = {result: decided.result, commit, conflicts: attempt}
      if (decided.documents) host.rememberDocuments?.(decided.files, decided.documents)
    } catch (err) {
      if (err instanceof RefLockedError) {
        // git holds a ref lock for milliseconds; one that stays is a crashed git's leftover, not a race
        lockedSince ??= Date.now()
        if (Date.now() - lockedSince > REF_LOCK_PATIENCE_MS) throw staleRefLock(err.lockFile)
      } else if (!(err instanceof RefConflictError)) throw err
      host.lastConflictAt = Date.now()
    } finally {
      await release?.()
    }
    if (landed) {
      host.afterCommit(landed.commit!)
      return landed
    }
    // jittered backoff spreads competing writers apart
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25) * (host.distributed ? 4 : 1)))
    await host.refresh()
  }
  throw new CheckFailedError(`gave up after ${MAX_ATTEMPTS} lost races on ${host.stateRef}`, {
    fix: 'other writers keep moving the branch: try again when fewer workers run, or give them a remote to share',
  })
}
