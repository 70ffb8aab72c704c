import {acquireLock} from './process-lock.js'

const STALE_MS = 10_000

/**
 * A traffic light for writers on one machine: processes take turns from
 * reading the tip to moving the branch, instead of all building commits of
 * which all but one lose the compare-and-swap. Correctness never rests on it:
 * the compare-and-swap does. A lock whose holder died, or older than 10 s, is taken over.
 */
export class CommitLock {
  constructor(private readonly file: string) {}

  acquire(): Promise<() => Promise<void>> {
    return acquireLock(this.file, {staleMs: STALE_MS, timeoutMs: 0, purpose: 'commits of this machine'})
  }
}
