/**
 * Running a command that rigor.yaml configures (a deploy stage's, the agent's,
 * notify's, the artifact store's): argv, never a shell. What makes this more
 * than a spawn is that the command's children are the command's. Every process
 * it starts inherits a marker in its environment, and when the command exits,
 * whatever it left running (a daemon forked with `&`, a helper that outlived
 * its parent) is killed: no process outlives the rigor command that started it,
 * and rigor does not wait on an output pipe such a process holds open (before,
 * `sh -c 'server & echo ok'` kept a deploy waiting as long as the server ran,
 * and then reported a timeout). A timeout or a cancel asks the command and its
 * children to stop (SIGTERM) and kills what is left after a grace period, and
 * so does a SIGINT or SIGTERM on rigor. A rigor killed outright (SIGKILL) runs
 * none of that: a watchdog process kills the command and its children then
 * (command-watchdog.ts). The command leads a process group of its own; Linux
 * also finds, through /proc, the children that left it; elsewhere only the
 * group is stopped.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {watchCommand} from './command-watchdog.js'
import {forkCount, killMarked, processTable, procInfo, signalGroup, type RunOrigin} from './proc.js'
import {STOP_SIGNALS} from './errors.js'

/** The environment variable every process of a configured command inherits (its value is one run's). */
export const COMMAND_MARKER = 'RIGOR_COMMAND_ID'

export interface ConfiguredCommand {
  /** the program, then its arguments */
  argv: readonly string[]
  cwd: string
  /** added to rigor's own environment */
  env?: Record<string, string>
  /** written to the command's stdin, which is then closed; without it stdin is empty */
  input?: string
  timeoutMs: number
  /** aborted: the command is stopped as on a timeout, and the result says `canceled` */
  signal?: AbortSignal
  /** between the SIGTERM of a timeout or cancel and the SIGKILL (default 5 s) */
  graceMs?: number
  /** stdout and stderr are each kept up to this many bytes, their start (default 16 MiB); `all` keeps its end */
  maxBytes?: number
}

export interface ConfiguredCommandResult {
  /** null when a signal ended it or it never started */
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  canceled: boolean
  /** why it could not be started (no such program, say) */
  spawnError?: string
  stdout: string
  stderr: string
  /** stdout and stderr interleaved as they came */
  all: string
  /** stdout or stderr said more than maxBytes (their start is kept) */
  truncated: boolean
  /** processes it left running when it exited, which rigor then killed */
  leftBehind: number[]
}

/** marks the signal listeners runConfiguredCommand adds, told apart from a command's own (withAbort) */
const STOPS_COMMAND = Symbol('stops a configured command')
const DEFAULT_GRACE_MS = 5_000
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024
/** how long, after the command and what it left are gone, its output pipes may take to close */
const PIPE_CLOSE_MS = 1_000

export function runConfiguredCommand(command: ConfiguredCommand): Promise<ConfiguredCommandResult> {
  const [program, ...args] = command.argv
  const maxBytes = command.maxBytes ?? DEFAULT_MAX_BYTES
  const stdout = new Head(maxBytes)
  const stderr = new Head(maxBytes)
  const all = new Tail(maxBytes)
  const result = (fields: Partial<ConfiguredCommandResult>): ConfiguredCommandResult => ({
    exitCode: null,
    signal: null,
    timedOut: false,
    canceled: false,
    stdout: stdout.text(),
    stderr: stderr.text(),
    all: all.text(),
    truncated: stdout.truncated || stderr.truncated,
    leftBehind: [],
    ...fields,
  })
  if (program === undefined) return Promise.resolve(result({spawnError: 'the command is empty'}))
  if (command.signal?.aborted) return Promise.resolve(result({canceled: true}))
  const marker = randomUUID()
  const entry = `${COMMAND_MARKER}=${marker}`
  // what it leaves is looked for among the processes started after it
  const forks = forkCount()
  // and should rigor die with no chance to stop it (a SIGKILL), a watchdog process does (command-watchdog.ts)
  const watch = watchCommand(entry, forks)
  let pid: number | undefined
  let origin: RunOrigin | undefined

  return new Promise((resolve) => {
    let timedOut = false
    let canceled = false
    let killTimer: NodeJS.Timeout | undefined
    let timer: NodeJS.Timeout | undefined
    // rigor leaving while the command runs (a second Ctrl-C): the command and its children go first
    const onExit = () => {
      signalGroup(pid, 'SIGKILL')
      if (origin) killMarked(entry, origin)
    }
    // A SIGINT or SIGTERM that nothing else in rigor handles (a command without withAbort, cli/signals.ts) would end
    // rigor at once and leave the command running: it is stopped first, then the signal does what it would have done.
    // Where something else listens, that one stops the command through `signal`, politely. Listened for before the
    // spawn: the command may run (and be waited on) before this process gets back from starting it
    const onSignal = Object.assign(
      (received: NodeJS.Signals) => {
        if (signalListenersBesideCommands(received).length > 0) return
        onExit()
        settle()
        // the last of several commands running at once re-raises it
        if (process.listenerCount(received) === 0) process.kill(process.pid, received)
      },
      {[STOPS_COMMAND]: true},
    )
    const onAbort = () => {
      canceled = true
      stop()
    }
    const stop = () => {
      signalGroup(pid, 'SIGTERM')
      if (origin) killMarked(entry, origin, 'SIGTERM')
      killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), command.graceMs ?? DEFAULT_GRACE_MS)
    }
    const settle = () => {
      clearTimeout(timer)
      clearTimeout(killTimer)
      command.signal?.removeEventListener('abort', onAbort)
      process.off('exit', onExit)
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
    }
    process.on('exit', onExit)
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal)

    let child: ChildProcess
    try {
      child = spawn(program, args, {
        cwd: command.cwd,
        env: {...commandEnvironment(process.env), ...command.env, [COMMAND_MARKER]: marker},
        stdio: [command.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        // a process group (and session) of its own, as a runner's: a Ctrl-C on the terminal reaches rigor alone, which
        // then stops the command as a cancel (before, the command could die of the Ctrl-C first and read as a failure)
        detached: true,
      })
    } catch (err) {
      // Node refuses some argv before it forks (a NUL byte)
      settle()
      watch.done()
      resolve(result({spawnError: (err as Error).message}))
      return
    }
    pid = child.pid
    origin = pid ? {pid, startTime: procInfo(pid)?.startTime, forks} : undefined
    if (origin) watch.started(origin.pid, origin.startTime)
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.add(chunk)
      all.add(chunk)
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.add(chunk)
      all.add(chunk)
    })
    if (child.stdin) {
      // a command that does not read its input closes the pipe under the write
      child.stdin.on('error', () => {})
      child.stdin.end(command.input)
    }
    timer = setTimeout(() => {
      timedOut = true
      stop()
    }, command.timeoutMs)
    command.signal?.addEventListener('abort', onAbort, {once: true})
    child.on('error', (err) => {
      if (pid !== undefined) return
      settle()
      watch.done()
      resolve(result({spawnError: err.message}))
    })
    // 'exit', not 'close': 'close' waits for the output pipes, which a process the command left may hold
    child.on('exit', (exitCode, signal) => {
      settle()
      const leftBehind = pid ? killLeftBehind(pid, entry, origin) : []
      watch.done()
      // what those processes held is closed now; one that shed the marker (a cleared environment) may still hold a
      // pipe: its output is not waited for
      void outputsClosed(child, PIPE_CLOSE_MS).then(() => resolve(result({exitCode, signal, timedOut, canceled, leftBehind})))
    })
  })
}

/**
 * The listeners for `signal` other than those runConfiguredCommand adds (which
 * act only when nothing else listens): what a handler that defers to another
 * (cli/telemetry.ts) must count, or each would wait for the other.
 */
export function signalListenersBesideCommands(signal: NodeJS.Signals): Array<(...args: unknown[]) => void> {
  return (process.listeners(signal) as Array<(...args: unknown[]) => void>).filter((l) => !(STOPS_COMMAND in l))
}

/** Marks a stop-signal listener that, as runConfiguredCommand's, acts only when no command's own handler listens. */
export function asDeferringStopListener<T extends (signal: NodeJS.Signals) => void>(listener: T): T {
  return Object.assign(listener, {[STOPS_COMMAND]: true})
}

/** Kills what an exited command left: its process group, and the processes carrying its marker (which may have left the group). */
function killLeftBehind(pid: number, entry: string, origin: RunOrigin | undefined): number[] {
  const inGroup = processTable()
    .filter((p) => p.pgid === pid)
    .map((p) => p.pid)
  signalGroup(pid, 'SIGKILL')
  const marked = origin ? killMarked(entry, origin) : []
  return [...new Set([...inGroup, ...marked])].filter((p) => p !== pid)
}

/** Resolves once both output pipes have closed, or after `ms`, when they are let go of unread. */
function outputsClosed(child: ChildProcess, ms: number): Promise<void> {
  const pipes = [child.stdout, child.stderr].filter((p) => p !== null && !p.closed)
  if (pipes.length === 0) return Promise.resolve()
  return new Promise((resolve) => {
    let open = pipes.length
    const timer = setTimeout(() => {
      for (const p of pipes) p!.destroy()
      resolve()
    }, ms)
    for (const p of pipes)
      p!.once('close', () => {
        if (--open > 0) return
        clearTimeout(timer)
        resolve()
      })
  })
}

/** The first `max` bytes of a stream. */
class Head {
  private readonly chunks: Buffer[] = []
  private size = 0
  truncated = false
  constructor(private readonly max: number) {}
  add(chunk: Buffer): void {
    if (this.size >= this.max) {
      this.truncated = true
      return
    }
    const room = this.max - this.size
    if (chunk.length > room) this.truncated = true
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
    this.chunks.push(kept)
    this.size += kept.length
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

/** The last `max` bytes of a stream (a little more, until read). */
class Tail {
  private chunks: Buffer[] = []
  private size = 0
  constructor(private readonly max: number) {}
  add(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.size += chunk.length
    // dropped from the front once twice the limit is held: each chunk is dropped once
    if (this.size > 2 * this.max) {
      const kept = Buffer.concat(this.chunks).subarray(-this.max)
      this.chunks = [kept]
      this.size = kept.length
    }
  }
  text(): string {
    const whole = Buffer.concat(this.chunks)
    return (whole.length > this.max ? whole.subarray(-this.max) : whole).toString('utf8')
  }
}

/**
 * rigor's environment as a configured command (an agent, a stage command, a notifier) gets it: without the path of
 * the key that signs audits and deployments, which stays with rigor as it does from runners. An agent is told what
 * to design by text anyone can commit; the key is how a gate tells an auditor from everyone else.
 */
function commandEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const {RIGOR_SIGNING_KEY: _kept, ...rest} = env
  return rest
}
