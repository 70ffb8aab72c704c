import {join} from 'node:path'
import type {Workspace} from '../../state/workspace.js'
import type {SiteBuildResult} from './build.js'
import {serveSite} from './serve.js'
import {watchBranch} from './watch.js'

export interface LiveSiteOptions {
  /** opens the workspace afresh for `fn` (config and state from the tip), and closes it */
  open: <T>(fn: (ws: Workspace) => Promise<T>) => Promise<T>
  build: (ws: Workspace) => Promise<SiteBuildResult>
  /** the folder the builds write (served as it is) */
  out: string
  /** serve the site on 127.0.0.1 at this port (0: any free one) */
  serve?: number
  /** the poll period, and the fetch interval with a remote */
  intervalMs: number
  signal: AbortSignal
  onServing?: (url: string) => void
  onBuild?: (result: SiteBuildResult) => void
  /** a build that failed (the watch goes on, the last good site stays) */
  onError?: (err: unknown) => void
}

export interface LiveSiteResult {
  last: SiteBuildResult
  builds: number
  url: string | null
}

/**
 * Keeps the site up to date until `signal` aborts: rebuilds whenever the
 * state branch moves (watched through its ref files; with a remote, fetched
 * every interval), and with `serve` serves it on loopback, telling open pages
 * to reload after each build. Stops cleanly: the watcher and the server close.
 */
export async function keepSiteLive(opts: LiveSiteOptions): Promise<LiveSiteResult> {
  // the port first: a port in use is refused before anything is written
  const server = opts.serve !== undefined ? await serveSite(opts.out, {port: opts.serve, build: 'none'}) : undefined
  try {
    let last = await opts.open(opts.build)
    let builds = 1
    opts.onBuild?.(last)
    server?.announce(last.commit ?? 'none')
    if (server) opts.onServing?.(server.url)
    const watched = await opts.open(async (ws) => ({
      common: ws.repo.paths.commonDir,
      ref: ws.remote ? ws.remote.trackingRef : ws.stateRef,
    }))
    // one workspace stays open to read the tip (and fetch it); each build opens its own
    await opts.open((ws) =>
      watchBranch({
        refFiles: [join(watched.common, watched.ref), join(watched.common, 'packed-refs')],
        readTip: async () => {
          await ws.refresh()
          return ws.readTip()
        },
        since: last.commit ?? undefined,
        intervalMs: opts.intervalMs,
        signal: opts.signal,
        onTip: async () => {
          try {
            last = await opts.open(opts.build)
            builds++
            server?.announce(last.commit ?? 'none')
            opts.onBuild?.(last)
          } catch (err) {
            opts.onError?.(err)
          }
        },
      }),
    )
    return {last, builds, url: server?.url ?? null}
  } finally {
    await server?.close()
  }
}
