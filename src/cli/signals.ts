import {writeSync} from 'node:fs'
import {isatty} from 'node:tty'
import {exitCodeForSignal, InputError, STOP_SIGNALS} from '../core/errors.js'
import {keptSandboxProblem} from '../core/validation.js'
import {RunGroups} from '../core/proc.js'
import {directLauncher, type RunnerLauncher} from '../core/dag/launcher.js'
import {asDeferringStopListener, signalListenersBesideCommands} from '../core/configured-command.js'
import {RunnerHelper} from '../core/dag/runner-helper.js'

export interface AbortScope {
  /** aborted by the first SIGINT, SIGTERM or SIGHUP (its name is the reason) */
  signal: AbortSignal
  /** the runner groups the command starts; pass it down to every runProcess */
  groups: RunGroups
  /** where runners are started: the command's RunnerHelper when it asked for one, else this process */
  launcher: RunnerLauncher
}

/**
 * The one place a command turns SIGINT/SIGTERM/SIGHUP into a clean stop. The
 * first signal aborts `scope.signal` (the command stops claiming, stops its
 * runners and puts its claims back) and the command then exits 130 (SIGINT),
 * 143 (SIGTERM) or 129 (SIGHUP: its terminal closed) with its normal output. A second signal leaves at once with that
 * signal's code, after SIGKILLing every runner group still alive: claims it
 * still holds expire and `rigor supervise` takes them back (`onLeave` says
 * which, on stderr, before it goes). Runner groups are
 * also killed if the process exits any other way while they run. A command
 * that runs many nodes asks for a runner helper (`runnerHelper`), which lives
 * as long as the scope and is killed with the runner groups.
 */
export async function withAbort<T>(
  fn: (scope: AbortScope) => Promise<T>,
  opts: {
    onStop?: (signal: NodeJS.Signals) => void
    /** what is left behind when a second signal makes the command leave at once (the claims it still holds) */
    onLeave?: () => string | undefined
    runnerHelper?: boolean
  } = {},
): Promise<T> {
  const controller = new AbortController()
  // asked now, while a terminal is still there to answer (a closed one answers no)
  const onTerminal = [0, 1, 2].some((fd) => isatty(fd))
  const groups = new RunGroups()
  if (opts.runnerHelper) {
    // read by the helper's kept sandboxes (sandbox-slots.ts), which cannot refuse it: refused here, before any claim
    const problem = keptSandboxProblem(process.env.RIGOR_KEPT_SANDBOX)
    if (problem) {
      throw new InputError(`RIGOR_KEPT_SANDBOX=${problem}`, {
        field: 'RIGOR_KEPT_SANDBOX',
        fix: 'set RIGOR_KEPT_SANDBOX=off to give every run a sandbox of its own, or unset it (a sandbox kept per slot)',
      })
    }
  }
  const helper = opts.runnerHelper ? RunnerHelper.start() : undefined
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') {
      muteClosedTerminal()
      if (onTerminal) leaveByHangupAtExit()
    }
    // a terminal that closes while the command stops (after a Ctrl-C, or with the EIO that came first) lets it finish
    if (received && signal === 'SIGHUP') return
    if (received) {
      groups.killAll('SIGKILL')
      helper?.killNow()
      sayBeforeLeaving(opts.onLeave)
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
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  process.on('exit', onExit)
  const output = guardTerminalOutput(() => onSignal('SIGHUP'))
  try {
    const result = await fn({signal: controller.signal, groups, launcher: helper ?? directLauncher})
    if (received) process.exitCode = exitCodeForSignal(received)
    return result
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
    process.off('exit', onExit)
    output.restore()
    await helper?.close()
  }
}

export interface SyncStopGuard {
  /** a sync is due: a stop signal waits for it */
  hold(): void
  /** none is due any more: a stop signal ends the command as it did */
  release(): void
}

/**
 * For a workspace command (withWorkspace) without a stop of its own: a stop signal while its checkout followed a
 * commit that landed ended rigor at once, and left the checkout's index behind the branch (after a large seed, every
 * node file a staged deletion), so the next plain `git commit` reverted what rigor had committed. While `hold` lasts
 * (a commit being published, a sync due or running), such a signal waits for `synced`, then ends the command with its
 * code (130, 143, 129); a second one ends it at once. Where a command's own handler (withAbort) listens, it is left to
 * that one, which stops cleanly and syncs.
 */
export function syncStopGuard(synced: () => Promise<void>): SyncStopGuard {
  let stopping = false
  let listening = false
  const leave = (signal: NodeJS.Signals) => {
    stopListening()
    if (signal === 'SIGHUP') exitByHangup()
    process.exit(exitCodeForSignal(signal))
  }
  const onSignal = asDeferringStopListener((signal: NodeJS.Signals) => {
    if (signalListenersBesideCommands(signal).length > 0) return
    if (stopping) return leave(signal)
    stopping = true
    if (signal === 'SIGHUP') muteClosedTerminal()
    void synced()
      .catch(() => {})
      .finally(() => leave(signal))
  })
  const stopListening = () => {
    if (!listening) return
    listening = false
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
  }
  return {
    hold() {
      if (listening) return
      listening = true
      for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
    },
    release() {
      if (!stopping) stopListening()
    },
  }
}

/**
 * Writes what `onLeave` says straight to stderr's descriptor, at once: process.exit follows, and a live display may
 * still hold the stream's writes back (listr2 buffers them until it ends). A closed terminal takes nothing.
 */
function sayBeforeLeaving(onLeave: (() => string | undefined) | undefined): void {
  try {
    const text = onLeave?.()
    if (text) writeSync(2, `\n${text}\n`)
  } catch {
    // nowhere to say it: leaving still comes first
  }
}

/**
 * A terminal that closed fails every later write to it with EIO, often before its SIGHUP arrives, and oclif turns
 * any error of stdout but EPIPE into an uncaught exception: the command died before it put its claims back. While
 * the scope lasts, an EIO (or a write to the stream it destroyed) on a terminal is that hangup; every other output
 * error goes to the listeners there were, as before.
 */
function guardTerminalOutput(hangUp: () => void): {restore(): void} {
  const streams = [process.stdout, process.stderr]
  const before = streams.map((stream) => stream.listeners('error') as Array<(err: Error) => void>)
  const handlers = streams.map((stream, i) => (err: NodeJS.ErrnoException) => {
    if (stream.isTTY && (err.code === 'EIO' || err.code === 'ERR_STREAM_DESTROYED')) return hangUp()
    if (before[i]!.length === 0) throw err
    for (const listener of before[i]!) listener.call(stream, err)
  })
  streams.forEach((stream, i) => {
    stream.removeAllListeners('error')
    stream.on('error', handlers[i]!)
  })
  return {
    restore() {
      streams.forEach((stream, i) => {
        stream.off('error', handlers[i]!)
        for (const listener of before[i]!) stream.on('error', listener)
      })
    },
  }
}

/**
 * Node puts a terminal's modes back as it exits, and aborts when that fails, as it does on a terminal that has closed
 * (SIGABRT, exit 134, its native stack on a redirected stderr: nodejs/node#51519): after a stop that had put every
 * claim back. A command whose terminal hung up leaves by the SIGHUP itself once it is done, as it would have with no
 * handler (a shell's 129), which Node does not restore a terminal for. Registered once however often it is asked.
 */
function leaveByHangupAtExit(): void {
  if (!process.listeners('exit').includes(exitByHangup)) process.once('exit', exitByHangup)
}

function exitByHangup(): void {
  process.removeAllListeners('SIGHUP')
  process.kill(process.pid, 'SIGHUP')
  // delivered at once to this thread; should another take it, the process ends within this wait all the same
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
}

/** What the command says to a terminal that closed has nowhere to go: dropped from now on (a file or a pipe keeps it). */
function muteClosedTerminal(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.isTTY) continue
    stream.write = (...args: unknown[]) => {
      const done = args[args.length - 1]
      if (typeof done === 'function') process.nextTick(done as () => void)
      return true
    }
  }
}

export interface PassOnScope {
  /** the child to pass signals to, once it runs */
  passTo(pid: number): void
}

/**
 * For a command whose work is one rigor child in its own process group
 * (`rigor schedule run`): every SIGINT, SIGTERM or SIGHUP is passed on to the child,
 * which stops cleanly on the first and leaves at once on the second, as every
 * rigor command does; this process waits for it, so nothing outlives it.
 * A terminal that closes mutes this process's output instead of ending it
 * (the child's output goes on into its log, and the run is still recorded).
 */
export async function withSignalsPassedOn<T>(fn: (scope: PassOnScope) => Promise<T>): Promise<T> {
  let child: number | undefined
  // a signal before the child runs reaches it as soon as it does
  let early: NodeJS.Signals | undefined
  let hungUp = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') {
      // the SIGHUP and the EIO of the closed terminal each say so: the child is told once
      if (hungUp) return
      hungUp = true
      muteClosedTerminal()
    }
    if (child === undefined) early ??= signal
    else passOn(child, signal)
  }
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  const output = guardTerminalOutput(() => onSignal('SIGHUP'))
  try {
    return await fn({
      passTo(pid) {
        child = pid
        if (early) passOn(pid, early)
      },
    })
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
    output.restore()
  }
}

function passOn(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // it has exited already
  }
}
