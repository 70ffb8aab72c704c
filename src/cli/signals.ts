import {exitCodeForSignal} from '../core/errors.js'
import {RunGroups} from '../core/proc.js'

export interface AbortScope {
  /** aborted by the first SIGINT or SIGTERM */
  signal: AbortSignal
  /** the runner groups the command starts; pass it down to every runProcess */
  groups: RunGroups
}

/**
 * The one place a command turns SIGINT/SIGTERM into a clean stop. The first
 * signal aborts `scope.signal` (the command stops claiming, stops its runners
 * and puts its claims back) and the command then exits 130 (SIGINT) or 143
 * (SIGTERM) with its normal output. A second signal leaves at once with that
 * signal's code, after SIGKILLing every runner group still alive: claims it
 * still holds expire and `rigor supervise` takes them back. Runner groups are
 * also killed if the process exits any other way while they run.
 */
export async function withAbort<T>(
  fn: (scope: AbortScope) => Promise<T>,
  opts: {onStop?: (signal: NodeJS.Signals) => void} = {},
): Promise<T> {
  const controller = new AbortController()
  const groups = new RunGroups()
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      groups.killAll('SIGKILL')
      process.exit(exitCodeForSignal(signal))
    }
    received = signal
    opts.onStop?.(signal)
    controller.abort()
  }
  const onExit = () => groups.killAll('SIGKILL')
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', onExit)
  try {
    const result = await fn({signal: controller.signal, groups})
    if (received) process.exitCode = exitCodeForSignal(received)
    return result
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
  }
}
