/**
 * Starting a runner's process, in one of two places: this process
 * (`directLauncher`) or a small helper process that `rigor work` keeps beside
 * it (`RunnerHelper`, runner-helper.ts). Either way the runner leads a process
 * group of its own, its output goes straight into run.log (a file descriptor,
 * not pipes this process would have to drain), and when it exits whatever it
 * left behind is killed before the exit is reported. This module imports only
 * Node and proc.ts: the helper process loads it, and it must start quickly.
 */
import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import type {Writable} from 'node:stream'
import {forkCount, killMarked, procInfo, signalGroup, type RunOrigin} from '../proc.js'
import type {SandboxSlots, SlotLaunch} from './sandbox-slots.js'

/** What a held launch writes on its gate descriptor (fd 3) to start the runner. */
export const GATE_GO = 'go\n'

export interface RunnerLaunch {
  program: string
  args: string[]
  cwd: string
  env: RunnerEnvironment
  /** created or truncated; the runner's stdout and stderr both go to it */
  logFile: string
  /**
   * The `NAME=value` environment entry every process of the run inherits:
   * when the runner exits, processes that left its group are found by it and
   * killed. None in the sandbox, whose PID namespace ends with the runner.
   */
  marker?: string
  /**
   * Held: the runner starts only when `release(true)` says so. `fd3`: the
   * process starts at once and waits for GATE_GO on its file descriptor 3
   * before it runs the runner (sandbox.ts, gatedArgv), so the sandbox is set up
   * while the slot's previous runner still runs; `spawn`: nothing starts until
   * then. Not held: the runner starts at once.
   */
  hold?: 'fd3' | 'spawn'
  /**
   * Bytes the process reads on its descriptor 4 (a pipe, written and closed at
   * the spawn), base64 so that the launch crosses to the runner helper as JSON:
   * the sandbox's seccomp program (seccomp.ts).
   */
  fd4?: string
  /**
   * The run may go to a kept sandbox (sandbox-slots.ts) where the launcher
   * keeps them; `program` and `args` then stay its own sandbox's, for where
   * it does not.
   */
  slot?: SlotLaunch
}

/**
 * A runner's environment: the launching process's own without `unset`, then
 * `set` over it. The runner helper's own is rigor's, inherited when it started.
 */
export interface RunnerEnvironment {
  unset: string[]
  set: Record<string, string>
}

/** The whole environment a RunnerEnvironment describes over `base` (this process's own, read now, unless given). */
export function environmentOf(env: RunnerEnvironment, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const whole: NodeJS.ProcessEnv = {...base}
  for (const name of env.unset) delete whole[name]
  return Object.assign(whole, env.set)
}

export interface RunnerExit {
  code: number | null
  signal: string | null
  /** the process could not be started (or its launcher died under it) */
  error?: string
  /** `error` came after the runner had started (a kept sandbox that ended under it, outputs it could not move) */
  afterStart?: boolean
}

export interface LaunchedRunner {
  /** the runner's pid, which is also its process group, once it runs; undefined when it could not start or was not run */
  started: Promise<number | undefined>
  /** once the runner exited and what it left in its group (or marked) is killed */
  exited: Promise<RunnerExit>
  /** a held launch: run the runner (true) or end it without running it (false); nothing for one not held */
  release(run: boolean): void
  /** once `started` gave a pid: that process's start time (procInfo), undefined when it was gone already */
  startTime(): number | undefined
  /**
   * Once `started` gave a pid: whether the run went to a kept sandbox, where
   * that pid is the runner's own group (a sandbox of its own is led by bwrap).
   */
  keptSandbox?(): boolean
}

export interface RunnerLauncher {
  launch(launch: RunnerLaunch): LaunchedRunner
}

/** Kills what a finished runner left: its group, and the marked processes that left the group. */
export function endRun(pgid: number | undefined, marker: string | undefined, origin?: RunOrigin): void {
  // the runner is done: a daemon it forked must not keep editing files after rigor returns
  signalGroup(pgid, 'SIGKILL')
  if (marker) killMarked(marker, origin)
}

/**
 * Spawns in this process. Node forks before it executes, and a fork copies the
 * page tables of the whole process, so from a large process (a work loop
 * holding a big state) each spawn costs milliseconds of the event loop; the
 * helper process exists for that.
 */
export const directLauncher: RunnerLauncher = launcherOver(undefined)

/**
 * A launcher like directLauncher whose runners inherit `base` instead of this
 * process's environment as it is at each launch. The runner helper's never
 * changes, and copying `process.env` (each name a getenv through Node's
 * interceptor) cost it 0.1-0.4 ms a run.
 */
export function launcherOver(base: NodeJS.ProcessEnv | undefined, slots?: SandboxSlots): RunnerLauncher {
  const launch = (run: RunnerLaunch): LaunchedRunner => (slots && run.slot ? slots.launch(run, launch) : undefined) ?? launchWith(run, base)
  return {launch}
}

function launchWith(launch: RunnerLaunch, base: NodeJS.ProcessEnv | undefined): LaunchedRunner {
  if (launch.hold !== 'spawn') return spawnRunner(launch, base)
  let decide!: (run: boolean) => void
  const launched = new Promise<LaunchedRunner | undefined>((resolve) => {
    decide = firstWordOnly((run) => resolve(run ? spawnRunner({...launch, hold: undefined}, base) : undefined))
  })
  let run: LaunchedRunner | undefined
  return {
    started: launched.then((launchedRun) => {
      run = launchedRun
      return launchedRun?.started
    }),
    exited: launched.then((run) => run?.exited ?? {code: null, signal: null}),
    release: (run) => decide(run),
    startTime: () => run?.startTime(),
  }
}

/**
 * Writes `data` to a child's pipe and closes it: bwrap reads its seccomp
 * program from a descriptor until the end. A child that died first closes the
 * pipe under the write, which is its exit's to report, not this write's.
 */
export function feedDescriptor(pipe: Writable | null, data: Uint8Array | undefined): void {
  if (!data || !pipe) return
  pipe.on('error', () => {})
  pipe.end(data)
}

/** A held launch's release acts on its first word only: a second must not start a runner nobody follows. */
function firstWordOnly(act: (run: boolean) => void): (run: boolean) => void {
  let said = false
  return (run) => {
    if (said) return
    said = true
    act(run)
  }
}

/** A launch that started nothing, and why: it exits at once with the reason, as a failed spawn does. */
function notLaunched(error: string): LaunchedRunner {
  return {
    started: Promise.resolve(undefined),
    exited: Promise.resolve({code: null, signal: null, error}),
    release: () => {},
    startTime: () => undefined,
  }
}

/** A runner (or, held on fd 3, its sandbox) started now. */
function spawnRunner(launch: RunnerLaunch, base: NodeJS.ProcessEnv | undefined): LaunchedRunner {
  let log: number
  try {
    log = openSync(launch.logFile, 'w')
  } catch (err) {
    return notLaunched(`cannot write ${launch.logFile}: ${(err as Error).message}`)
  }
  let child: ReturnType<typeof spawn>
  const held = launch.hold === 'fd3'
  // what a marked run leaves is looked for among the processes started after its runner
  const forksBefore = launch.marker ? forkCount() : undefined
  try {
    child = spawn(launch.program, launch.args, {
      cwd: launch.cwd,
      env: environmentOf(launch.env, base),
      detached: true,
      stdio: launch.fd4
        ? ['ignore', log, log, held ? 'pipe' : 'ignore', 'pipe']
        : held
          ? ['ignore', log, log, 'pipe']
          : ['ignore', log, log],
    })
  } catch (err) {
    // Node refuses some launches before it forks (a NUL byte in an argument or the environment): that run fails
    // with the reason, and nothing else does (in the runner helper an uncaught throw would end every run it follows)
    return notLaunched((err as Error).message)
  } finally {
    // the child holds its own copy
    closeSync(log)
  }
  if (launch.fd4) feedDescriptor(child.stdio[4] as Writable | null, Buffer.from(launch.fd4, 'base64'))
  const pid = child.pid
  // read when asked (once a run, after the start): a held sandbox's pid is its bwrap's from the spawn on
  const startTime = () => (pid ? procInfo(pid)?.startTime : undefined)
  // its start read now, while the process (a zombie at worst: Node reaps it only on a later turn of the event loop) is
  // surely there
  const origin: RunOrigin | undefined = pid && launch.marker ? {pid, startTime: procInfo(pid)?.startTime, forks: forksBefore} : undefined
  const gate = held ? (child.stdio[3] as Writable | null) : null
  // a process that died before it was released closes the pipe under the write
  gate?.on('error', () => {})
  const exited = new Promise<RunnerExit>((resolve) => {
    let error: string | undefined
    child.on('error', (err) => {
      error = err.message
    })
    // 'close' comes after 'exit', and also after a spawn that failed
    child.on('close', (code, signal) => {
      if (pid) endRun(pid, launch.marker, origin)
      resolve({code: error && !pid ? null : code, signal, ...(error ? {error} : {})})
    })
  })
  if (!held) return {started: Promise.resolve(pid), exited, release: () => {}, startTime}
  let release!: (run: boolean) => void
  const started = new Promise<number | undefined>((resolve) => {
    release = firstWordOnly((run) => {
      // Not run: the waiting sandbox is killed, and its exit says so. Its gate opens on GATE_GO only, never on the
      // pipe's end, so a launcher killed outright (its end of the pipe closed) starts nothing either
      if (run) gate?.end(GATE_GO)
      else signalGroup(pid, 'SIGKILL')
      resolve(run ? pid : undefined)
    })
  })
  return {started, exited, release, startTime}
}
