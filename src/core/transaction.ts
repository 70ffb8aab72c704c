import {RefConflictError} from './errors.js'
import {formatCommitMessage, type CommitMessage} from './commit-message.js'
import {editTree, type FileChange} from './git/tree-edit.js'
import type {Snapshot} from './store.js'

export interface PlannedChange<T> {
  files: Map<string, FileChange>
  message: CommitMessage
  result: T
}

/** What a transaction body decides after looking at the current state: write something, or nothing. */
export type Plan<T> = PlannedChange<T> | {files?: undefined; result: T}

export interface TransactionHost {
  readonly stateRef: string
  readTip(): Promise<string | undefined>
  snapshot(commit: string | undefined): Promise<Snapshot>
  repo: import('./git/repo.js').Repo
  afterCommit(commit: string): void
}

export interface CommitOutcome<T> {
  result: T
  commit?: string
  /** how many times another writer moved the branch first */
  conflicts: number
}

const MAX_ATTEMPTS = 1000

/**
 * Read the tip, decide, write objects, then move the branch only if it still
 * points at the tip that was read (compare-and-swap). A lost race rebuilds the
 * change on the new tip, so every decision is made against the state it lands on.
 */
export async function commitTransaction<T>(host: TransactionHost, plan: (snap: Snapshot, attempt: number) => Promise<Plan<T>>): Promise<CommitOutcome<T>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const tip = await host.readTip()
    const snap = await host.snapshot(tip)
    const decided = await plan(snap, attempt)
    if (!decided.files || decided.files.size === 0) return {result: decided.result, conflicts: attempt}
    const tree = await editTree(host.repo, snap.tree, decided.files)
    const commit = await host.repo.writeCommit(tree, tip ? [tip] : [], formatCommitMessage(decided.message))
    try {
      await host.repo.compareAndSwapRef(host.stateRef, commit, tip)
    } catch (err) {
      if (!(err instanceof RefConflictError)) throw err
      // jittered backoff spreads competing writers apart
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25)))
      continue
    }
    host.afterCommit(commit)
    return {result: decided.result, commit, conflicts: attempt}
  }
  throw new Error(`gave up after ${MAX_ATTEMPTS} lost races on ${host.stateRef}`)
}
