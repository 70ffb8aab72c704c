import {dirname} from 'node:path'
import {watch, type FSWatcher} from 'chokidar'

export interface BranchWatchOptions {
  /** files whose change can mean the branch moved: its loose ref and packed-refs */
  refFiles: string[]
  /** the tip now (with a remote: after fetching it) */
  readTip: () => Promise<string | undefined>
  /** the tip the caller has already handled */
  since: string | undefined
  /** the polling period: the fallback when file events are missed, and the fetch interval with a remote */
  intervalMs: number
  signal: AbortSignal
  /** called with each new tip, one call at a time */
  onTip: (tip: string | undefined) => Promise<void>
}

/** commits made in a burst (a work loop) are taken as one move */
const SETTLE_MS = 300

/**
 * Calls `onTip` whenever the state branch's tip moves, until `signal` aborts.
 * chokidar watches the ref's file and packed-refs (git moves a ref by renaming
 * a lock file over it, which the watch sees at once); a poll every
 * `intervalMs` catches what file events miss (network file systems, a
 * reftable repository) and, with a remote, is when the remote is fetched.
 */
export async function watchBranch(opts: BranchWatchOptions): Promise<void> {
  const files = new Set(opts.refFiles)
  let wake: (() => void) | undefined
  // a move seen while a build runs is handled right after it
  let missed = false
  const nudge = () => {
    if (wake) wake()
    else missed = true
  }
  const watcher: FSWatcher = watch([...new Set(opts.refFiles.map((f) => dirname(f)))], {
    ignoreInitial: true,
    depth: 0,
    // the branch's folder may not exist yet (a branch named team/x before its first commit)
    ignorePermissionErrors: true,
  })
  watcher.on('all', (_event, path) => {
    if (files.has(path)) nudge()
  })
  watcher.on('error', () => {
    // the poll still runs
  })
  opts.signal.addEventListener('abort', nudge, {once: true})
  let last = opts.since
  try {
    while (!opts.signal.aborted) {
      if (!missed)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, opts.intervalMs)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      wake = undefined
      missed = false
      if (opts.signal.aborted) break
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
      const tip = await opts.readTip()
      if (tip === last) continue
      last = tip
      await opts.onTip(tip)
    }
  } finally {
    opts.signal.removeEventListener('abort', nudge)
    await watcher.close()
  }
}
