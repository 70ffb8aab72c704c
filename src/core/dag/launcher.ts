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
import {killMarked, signalGroup} from '../proc.js'

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
}

/**
 * A runner's environment: the launching process's own without `unset`, then
 * `set` over it. The runner helper's own is rigor's, inherited when it started.
 */
export interface RunnerEnvironment {
  unset: string[]
  set: Record<string, string>
}

/** The whole environment a RunnerEnvironment describes, in this process. */
export function environmentOf(env: RunnerEnvironment): NodeJS.ProcessEnv {
  const whole: NodeJS.ProcessEnv = {...process.env}
  for (const name of env.unset) delete whole[name]
  return Object.assign(whole, env.set)
}

export interface RunnerExit {
  code: number | null
  signal: string | null
  /** the process could not be started (or its launcher died under it) */
  error?: string
}

export interface LaunchedRunner {
  /** the runner's pid, which is also its process group; undefined when it could not start */
  started: Promise<number | undefined>
  /** once the runner exited and what it left in its group (or marked) is killed */
  exited: Promise<RunnerExit>
}

export interface RunnerLauncher {
  launch(launch: RunnerLaunch): LaunchedRunner
}

/** Kills what a finished runner left: its group, and the marked processes that left the group. */
export function endRun(pgid: number | undefined, marker: string | undefined): void {
  // the runner is done: a daemon it forked must not keep editing files after rigor returns
  signalGroup(pgid, 'SIGKILL')
  if (marker) killMarked(marker)
}

/**
 * Spawns in this process. Node forks before it executes, and a fork copies the
 * page tables of the whole process, so from a large process (a work loop
 * holding a big state) each spawn costs milliseconds of the event loop; the
 * helper process exists for that.
 */
export const directLauncher: RunnerLauncher = {
  launch(launch) {
    let log: number
    try {
      log = openSync(launch.logFile, 'w')
    } catch (err) {
      const error = `cannot write ${launch.logFile}: ${(err as Error).message}`
      return {started: Promise.resolve(undefined), exited: Promise.resolve({code: null, signal: null, error})}
    }
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(launch.program, launch.args, {
        cwd: launch.cwd,
        env: environmentOf(launch.env),
        detached: true,
        stdio: ['ignore', log, log],
      })
    } finally {
      // the child holds its own copy
      closeSync(log)
    }
    const pid = child.pid
    const exited = new Promise<RunnerExit>((resolve) => {
      let error: string | undefined
      child.on('error', (err) => {
        error = err.message
      })
      // 'close' comes after 'exit', and also after a spawn that failed
      child.on('close', (code, signal) => {
        if (pid) endRun(pid, launch.marker)
        resolve({code: error && !pid ? null : code, signal, ...(error ? {error} : {})})
      })
    })
    return {started: Promise.resolve(pid), exited}
  },
}
