import {watchRefs, type RefWatch} from '../git/ref-watch.js'
import type {Workspace} from '../state/workspace.js'

/**
 * What wakes a waiting worker (`rigor work --follow`): something may have
 * become claimable. The worker simply tries to claim again; a wake that
 * changed nothing costs one read of the tip.
 */
export interface ChangeFeed {
  /** Starts watching; `onChange` is called on every possible change until close(). */
  start(onChange: () => void): Promise<void>
  /** The worker claimed a node: with a remote, the fetch interval starts again from its shortest. */
  claimed(): void
  close(): Promise<void>
}

export interface FollowOptions {
  /**
   * Locally, how often to look even without a ref event (an update by rename
   * can be missed); with a remote, the first interval between fetches.
   */
  pollMs: number
  /** With a remote, the longest interval the backoff reaches (default: the larger of pollMs and 10 minutes). */
  maxPollMs?: number
  /** [0, 1): spreads the fetches of many workers (tests pass a fixed one) */
  random?: () => number
}

export const MAX_FETCH_INTERVAL_MS = 10 * 60_000
const SETTLE_MS = 50

/** The next interval between fetches while nothing is claimed: doubled, at most `max`. */
export function nextFetchInterval(current: number, max: number): number {
  return Math.min(current * 2, max)
}

/** ±10% around `ms`, so workers started together do not fetch together forever. */
export function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (0.9 + 0.2 * random()))
}

/**
 * The change feed of a workspace. Locally it watches the state ref (its file,
 * packed-refs, its reflog) and looks again every `pollMs` anyway. With a remote
 * the news is on the remote, so it wakes on a timer whose interval doubles while
 * nothing is claimed (up to `maxPollMs`) and starts again from `pollMs` after a
 * claim; each wake is a claim attempt, which fetches first. It also watches the
 * local refs, which another rigor process of this clone moves when it fetches or
 * pushes.
 */
export function followState(ws: Workspace, opts: FollowOptions): ChangeFeed {
  const random = opts.random ?? Math.random
  const max = Math.max(opts.pollMs, opts.maxPollMs ?? MAX_FETCH_INTERVAL_MS)
  let interval = opts.pollMs
  let timer: NodeJS.Timeout | undefined
  let settling: NodeJS.Timeout | undefined
  let watch: RefWatch | undefined
  let notify: (() => void) | undefined
  let closed = false

  const schedule = () => {
    if (closed) return
    clearTimeout(timer)
    timer = setTimeout(
      () => {
        if (ws.distributed) interval = nextFetchInterval(interval, max)
        schedule()
        notify?.()
      },
      ws.distributed ? jittered(interval, random) : interval,
    )
  }

  return {
    async start(onChange) {
      notify = onChange
      const refs = ws.remote ? [ws.stateRef, ws.remote.trackingRef] : [ws.stateRef]
      // one ref update is several file events (lock, rename, reflog): they make one wake
      watch = await watchRefs(ws.repo.paths.commonDir, refs, () => {
        settling ??= setTimeout(() => {
          settling = undefined
          notify?.()
        }, SETTLE_MS)
      })
      if (closed) await watch.close()
      schedule()
    },
    claimed() {
      if (!ws.distributed || interval === opts.pollMs) return
      interval = opts.pollMs
      schedule()
    },
    async close() {
      closed = true
      clearTimeout(timer)
      clearTimeout(settling)
      notify = undefined
      await watch?.close()
    },
  }
}
