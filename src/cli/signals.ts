import {exitCodeForSignal} from '../core/errors.js'
import {RunGroups} from '../core/proc.js'
import {directLauncher, type RunnerLauncher} from '../core/dag/launcher.js'
import {RunnerHelper} from '../core/dag/runner-helper.js'

export interface AbortScope {
  /** aborted by the first SIGINT or SIGTERM (its name is the reason) */
  signal: AbortSignal
  /** the runner groups the command starts; pass it down to every runProcess */
  groups: RunGroups
  /** where runners are started: the command's RunnerHelper when it asked for one, else this process */
  launcher: RunnerLauncher
}

/**
 * The one place a command turns SIGINT/SIGTERM into a clean stop. The first
 * signal aborts `scope.signal` (the command stops claiming, stops its runners
 * and puts its claims back) and the command then exits 130 (SIGINT) or 143
 * (SIGTERM) with its normal output. A second signal leaves at once with that
 * signal's code, after SIGKILLing every runner group still alive: claims it
 * still holds expire and `rigor supervise` takes them back. Runner groups are
 * also killed if the process exits any other way while they run. A command
 * that runs many nodes asks for a runner helper (`runnerHelper`), which lives
 * as long as the scope and is killed with the runner groups.
 */
export async function withAbort<T>(
  fn: (scope: AbortScope) => Promise<T>,
  opts: {onStop?: (signal: NodeJS.Signals) => void; runnerHelper?: boolean} = {},
): Promise<T> {
  const controller = new AbortController()
  const groups = new RunGroups()
  const helper = opts.runnerHelper ? RunnerHelper.start() : undefined
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      groups.killAll('SIGKILL')
      helper?.killNow()
      process.exit(exitCodeForSignal(signal))
    }
    received = signal
    opts.onStop?.(signal)
    // the signal's name as the reason: a command that stops before writing says which (stoppedError)
    controller.abort(signal)
  }
  const onExit = () => {
    groups.killAll('SIGKILL')
    helper?.killNow()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', onExit)
  try {
    const result = await fn({signal: controller.signal, groups, launcher: helper ?? directLauncher})
    if (received) process.exitCode = exitCodeForSignal(received)
    return result
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
    await helper?.close()
  }
}

export interface PassOnScope {
  /** the child to pass signals to, once it runs */
  passTo(pid: number): void
}

/**
 * For a command whose work is one rigor child in its own process group
 * (`rigor schedule run`): every SIGINT or SIGTERM is passed on to the child,
 * which stops cleanly on the first and leaves at once on the second, as every
 * rigor command does; this process waits for it, so nothing outlives it.
 */
export async function withSignalsPassedOn<T>(fn: (scope: PassOnScope) => Promise<T>): Promise<T> {
  let child: number | undefined
  // a signal before the child runs reaches it as soon as it does
  let early: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (child === undefined) {
      early ??= signal
      return
    }
    try {
      process.kill(child, signal)
    } catch {
      // it has exited already
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await fn({
      passTo(pid) {
        child = pid
        if (early) onSignal(early)
      },
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
