import {fork, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {packageRoot} from '../package-root.js'
import {signalGroup} from '../proc.js'
import {directLauncher, type LaunchedRunner, type RunnerExit, type RunnerLaunch, type RunnerLauncher} from './launcher.js'
import type {HelperReply, HelperRequest} from './runner-helper-protocol.js'

const HELPER_PROGRAM = join(packageRoot(import.meta.url), 'dist', 'core', 'dag', 'runner-helper-process.js')
/** how long close() waits for the helper to leave before it kills it */
const CLOSE_WAIT_MS = 5000
/** how long a run that may go to a kept sandbox waits for the helper to start before it starts here */
const READY_WAIT_MS = 15_000

interface PendingRun {
  pid?: number
  start?: number
  kept?: boolean
  started: (pid: number | undefined) => void
  exited: (exit: RunnerExit) => void
}

/**
 * Starts runners from a small helper process instead of this one. A work loop
 * holds the state of a whole DAG (100 MB and more), and Node forks before it
 * executes: every runner spawned from it copied those page tables and then
 * took copy-on-write faults, milliseconds of the event loop per node
 * (`node bench/spawn-cost.js`); the helper is a bare Node process. It also
 * sweeps up after each runner (its group, its marked processes), which reads
 * all of /proc. Runners launched before the helper is ready, or after it
 * died, are spawned here as before.
 */
export class RunnerHelper implements RunnerLauncher {
  private readonly pending = new Map<number, PendingRun>()
  private nextId = 0
  private ready = false
  private exited = false
  private readonly gone: Promise<void>
  /** true once the helper said it is ready; false if it exited (or never started) before */
  readonly whenReady: Promise<boolean>
  private becameReady: (ready: boolean) => void = () => {}

  private constructor(private readonly child: ChildProcess | undefined) {
    this.whenReady = new Promise((resolve) => (this.becameReady = resolve))
    if (!child) {
      this.exited = true
      this.gone = Promise.resolve()
      this.becameReady(false)
      return
    }
    child.on('message', (reply: HelperReply) => this.onReply(reply))
    // without the helper (it failed to start, or was killed) its runs cannot be followed: they are ended here
    this.gone = new Promise((resolve) => child.on('exit', resolve)).then(() => this.onHelperExit())
    child.on('error', () => {})
    // the helper never keeps this process alive by itself; a run in flight does (see refresh)
    child.unref()
    this.refresh()
  }

  /** Forks the helper; until it says it is ready, launches happen in this process. */
  static start(): RunnerHelper {
    if (!existsSync(HELPER_PROGRAM)) return new RunnerHelper(undefined)
    try {
      const child = fork(HELPER_PROGRAM, [], {execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json'})
      return new RunnerHelper(child)
    } catch {
      return new RunnerHelper(undefined)
    }
  }

  /** the helper's pid while it runs (tests, and the last-resort kill on a forced exit) */
  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid
  }

  launch(launch: RunnerLaunch): LaunchedRunner {
    const child = this.child
    // a run that may go to a kept sandbox waits for the helper, which keeps them: otherwise the first runs of a work
    // loop would each start a sandbox of their own, and which runs share one would depend on the machine's load
    if (!this.ready && !this.exited && launch.slot && child) return this.launchWhenReady(launch)
    if (!this.ready || this.exited || !child?.connected) return directLauncher.launch(launch)
    const id = this.nextId++
    let run!: PendingRun
    // promise executors run synchronously: both resolvers are in run before it is used
    const started = new Promise<number | undefined>((resolve) => {
      run = {started: resolve, exited: () => {}}
    })
    const exited = new Promise<RunnerExit>((resolve) => {
      run.exited = resolve
    })
    try {
      child.send({id, launch} satisfies HelperRequest)
    } catch {
      // the channel closed between the check and the send: the helper is leaving, this run starts here
      return directLauncher.launch(launch)
    }
    this.pending.set(id, run)
    this.refresh()
    const release = (go: boolean) => {
      // a helper gone meanwhile has ended the run already (onHelperExit)
      if (!this.exited && child.connected) child.send({id, release: go} satisfies HelperRequest, () => {})
    }
    return {started, exited, release, startTime: () => run.start, keptSandbox: () => run.kept ?? false}
  }

  /** `launch` once the helper said it is ready, or once it is known it never will be (then in this process). */
  private launchWhenReady(launch: RunnerLaunch): LaunchedRunner {
    let run: LaunchedRunner | undefined
    let released: boolean | undefined
    let timer: NodeJS.Timeout | undefined
    const given = new Promise<boolean>((resolve) => {
      // a helper that hangs while it starts does not hold the run for ever; the timer (cleared once the helper
      // answers) also keeps this process alive meanwhile, as the helper's channel does only once a run is sent
      timer = setTimeout(() => resolve(false), READY_WAIT_MS)
    })
    const launched = Promise.race([this.whenReady, given]).then((ready) => {
      clearTimeout(timer)
      run = ready ? this.launch(launch) : directLauncher.launch(launch)
      if (released !== undefined) run.release(released)
      return run
    })
    return {
      started: launched.then((r) => r.started),
      exited: launched.then((r) => r.exited),
      release: (go) => {
        if (run) run.release(go)
        else released ??= go
      },
      startTime: () => run?.startTime(),
      keptSandbox: () => run?.keptSandbox?.() ?? false,
    }
  }

  /** Lets the helper leave and waits for it (killing it after a while); runs still in flight end as failed. */
  async close(): Promise<void> {
    if (this.exited || !this.child) return
    // a helper still starting has started no runner (those launches were direct): waiting for it to finish loading
    // only to leave cost a short command tens of milliseconds
    if (!this.ready) this.child.kill('SIGKILL')
    else if (this.child.connected) this.child.disconnect()
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), CLOSE_WAIT_MS)
    await this.gone
    clearTimeout(timer)
  }

  /** Kills the helper at once: a command leaving without waiting (a second Ctrl-C). */
  killNow(): void {
    if (!this.exited) this.child?.kill('SIGKILL')
  }

  private onReply(reply: HelperReply): void {
    if ('ready' in reply) {
      this.ready = true
      this.becameReady(true)
      return
    }
    const run = this.pending.get(reply.id)
    if (!run) return
    if ('pid' in reply) {
      run.pid = reply.pid ?? undefined
      run.start = reply.start ?? undefined
      run.kept = reply.kept
      run.started(run.pid)
      return
    }
    this.pending.delete(reply.id)
    this.refresh()
    run.exited(reply.exit)
  }

  private onHelperExit(): void {
    this.exited = true
    this.becameReady(false)
    for (const run of this.pending.values()) {
      // nobody would see these runners end: nothing of them may outlive rigor either
      signalGroup(run.pid, 'SIGKILL')
      run.started(run.pid)
      run.exited({code: null, signal: null, error: "rigor's runner helper process exited while the runner ran"})
    }
    this.pending.clear()
  }

  /** The channel keeps this process alive only while a run is in flight. */
  private refresh(): void {
    const channel = this.child?.channel as {ref(): void; unref(): void} | null | undefined
    if (this.pending.size > 0) channel?.ref()
    else channel?.unref()
  }
}
