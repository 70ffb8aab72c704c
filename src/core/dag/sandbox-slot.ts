/**
 * A kept sandbox: one bwrap that runs a slot's runners one after another,
 * instead of one bwrap a run (a bwrap start cost 6-9 ms of this 2-core host's
 * CPU; see docs/benchmarks.md, "a sandbox kept per slot"). Inside, a launcher
 * (a copy of the system shell the sandbox may run but not read, so no runner
 * can open its memory, descriptors or environment) is the PID namespace's pid
 * 1. It reads a run from its standard input, starts the runner in a session of
 * its own with the run's environment, its output in RIGOR_OUT/run.log, waits
 * for it, then kills every other process of the namespace (`kill -9 -1` spares
 * pid 1 only) and answers. Between two runs rigor moves the outputs out,
 * empties the slot's /tmp and /dev/shm, and retires the slot when anything a
 * run could have left for the next one shows: System V IPC objects (read by
 * the launcher from /proc/sysvipc), or a change to the launcher's limits,
 * priority, scheduling, CPU or memory placement or OOM score (a runner may
 * change those of any process of its user: read by rigor from /proc).
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import type {Readable, Writable} from 'node:stream'
import {statFields} from '../proc.js'
import {feedDescriptor} from './launcher.js'
import {sandboxArgv, type SandboxSpec} from './sandbox.js'
import type {SlotDirs} from './slot-dirs.js'

/**
 * The launcher's loop. A request is a count of lines, then the lines: the
 * environment's `NAME=value` entries, an empty line, the names to unset, an
 * empty line, the argv (the starter's first: see SlotOptions.starter). In the
 * subshell, where a run's own variable names (run.env) are set, nothing is
 * read from a variable after the first export: a node may name its variables
 * `out` or `count`, and only "$@" is used. Only builtins run here, but for the
 * starter. The launcher ignores SIGINT and SIGQUIT, which a runner could send
 * pid 1 from inside (a shell waiting for a job handles SIGINT).
 */
export const LAUNCHER_SCRIPT = [
  // the requests' pipe is kept on descriptor 9 too: a job's standard input is /dev/null
  "out=$1; exec 2>/dev/null 9<&0; trap '' INT QUIT; echo ready",
  'while IFS= read -r count; do',
  '  set --',
  '  while [ "$#" -lt "$count" ]; do IFS= read -r line || exit 0; set -- "$@" "$line"; done',
  '  (',
  // held until rigor has read its pid (a runner that ends at once would be gone before rigor looked for it)
  '    IFS= read -r go <&9; [ "$go" = go ] || exit 125',
  '    exec </dev/null >"$out/run.log" 2>&1 9<&-',
  '    while [ -n "$1" ]; do export "$1"; shift; done; shift',
  '    while [ -n "$1" ]; do unset "$1"; shift; done; shift',
  '    exec "$@"',
  '  ) &',
  '  pid=$!; echo "started $pid"',
  '  wait "$pid"; status=$?',
  '  kill -9 -1',
  // what was killed is reaped (the jobs builtin collects every child that ended, orphans too) before the answer: the
  // next run must not find a zombie or a process still dying; one stuck past that (in the kernel) retires the slot
  '  spins=0; kids=',
  '  while jobs >/dev/null; kids=; IFS= read -r kids </proc/1/task/1/children; [ -n "$kids" ] && [ "$spins" -lt 100000 ]; do spins=$((spins + 1)); done',
  '  dirty=0; [ -n "$kids" ] && dirty=1',
  '  for table in /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg; do',
  '    rows=0; while IFS= read -r row; do rows=$((rows + 1)); done <"$table"; [ "$rows" -gt 1 ] && dirty=1',
  '  done',
  '  echo "exited $status $dirty"',
  'done',
].join('\n')

export interface SlotRun {
  /** the runner's environment over the launcher's: entries to set, names to unset */
  set: Record<string, string>
  unset: string[]
  /** the runner's argv, program first */
  argv: string[]
}

export type SlotRunEnd = {status: number; dirty: boolean} | {error: string}

export interface SlotOptions {
  spec: SandboxSpec
  dirs: SlotDirs
  /** the launcher's program (slot-dirs.ts, launcherCopy) */
  launcher: string
  /**
   * What starts each runner, before its argv: coreutils' `env --default-signal`
   * (a shell starts a job with SIGINT and SIGQUIT ignored, which a runner would
   * inherit; a sandbox of its own gives every signal its default) and
   * util-linux's `setsid --` (a session and process group of the runner's own
   * that rigor can signal from outside).
   */
  starter: string[]
  /** the seccomp program, read by bwrap on descriptor 3 */
  filter?: Buffer
  env: NodeJS.ProcessEnv
}

/** The limits, priority, scheduling, placement and OOM score of a process, as one string; undefined when gone. */
export function processAttributes(pid: number): string | undefined {
  try {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'), 39)
    // priority, nice (fields 18, 19), rt_priority, policy (40, 41), counted from the state (field 3)
    const sched = [fields[15], fields[16], fields[37], fields[38]].join(' ')
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((line) => /^(Cpus_allowed|Mems_allowed)/.test(line))
      .join('\n')
    const read = (name: string) => {
      try {
        return readFileSync(`/proc/${pid}/${name}`, 'utf8')
      } catch {
        return '-'
      }
    }
    return [sched, status, read('limits'), read('oom_score_adj'), read('autogroup')].join('\n')
  } catch {
    return undefined
  }
}

/** The pid, in this process's namespace, of `parent`'s child that is `inner` in its own (NSpid's last field). */
export function hostPidOf(parent: number, inner: number): number | undefined {
  let children: string[]
  try {
    children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/)
  } catch {
    return undefined
  }
  for (const child of children) {
    try {
      const line = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${child}/status`, 'utf8'))?.[1]
      const pids = line?.trim().split(/\s+/)
      if (pids && Number(pids[pids.length - 1]) === inner) return Number(pids[0])
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

export class SandboxSlot {
  readonly dirs: SlotDirs
  /** true once the launcher answered and its attributes were read; false when the sandbox did not start */
  readonly ready: Promise<boolean>
  private readonly child: ChildProcess
  private lines: string[] = []
  private waiting: ((line: string | undefined) => void) | undefined
  private buffer = ''
  private ended = false
  private stderr = ''
  private launcherPid: number | undefined
  private attributes: string | undefined
  private readonly starter: string[]

  constructor(options: SlotOptions) {
    this.dirs = options.dirs
    this.starter = options.starter
    const [program, args] = sandboxArgv(
      {...options.spec, writable: [options.dirs.out], readable: [...options.spec.readable, options.launcher]},
      options.launcher,
      ['-c', LAUNCHER_SCRIPT, 'rigor-slot', options.dirs.out],
      {seccompFd: options.filter ? 3 : undefined, privateDirs: {tmp: options.dirs.tmp, shm: options.dirs.shm}, asPid1: true},
    )
    // a group of its own: a Ctrl-C on the terminal reaches rigor, which decides what stops
    this.child = spawn(program, args, {
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', options.filter ? 'pipe' : 'ignore'],
    })
    feedDescriptor(this.child.stdio[3] as Writable | null, options.filter)
    this.child.on('error', (err) => {
      this.stderr ||= err.message
    })
    ;(this.child.stdin as Writable).on('error', () => {})
    ;(this.child.stderr as Readable).on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString('utf8')
    })
    ;(this.child.stdout as Readable).on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')))
    this.child.on('close', () => {
      this.ended = true
      this.flush()
    })
    this.ready = this.nextLine().then((line) => {
      if (line !== 'ready') return false
      // the launcher is bwrap's child that is pid 1 of its own namespace
      const bwrap = this.child.pid
      this.launcherPid = bwrap ? hostPidOf(bwrap, 1) : undefined
      this.attributes = this.launcherPid ? processAttributes(this.launcherPid) : undefined
      if (this.attributes === undefined) this.retire()
      return this.attributes !== undefined
    })
  }

  /** Why the sandbox would not start (bwrap's first line), once `ready` said false. */
  get failure(): string {
    return this.stderr.trim().split('\n')[0] || 'the sandbox ended before its launcher answered'
  }

  get alive(): boolean {
    return !this.ended
  }

  /**
   * Runs one runner: `onStarted` gets its pid in this process's namespace (its
   * process group too), and the end says how it ended, or that the slot ended.
   */
  async run(run: SlotRun, onStarted: (pid: number | undefined) => void): Promise<SlotRunEnd> {
    const argv = [...this.starter, ...run.argv]
    const lines = [...Object.entries(run.set).map(([name, value]) => `${name}=${value}`), '', ...run.unset, '', ...argv]
    ;(this.child.stdin as Writable).write(`${lines.length}\n${lines.join('\n')}\n`)
    const started = await this.nextLine()
    const inner = Number(started?.split(' ')[1])
    if (!started?.startsWith('started ') || !Number.isInteger(inner)) {
      onStarted(undefined)
      return {error: `the kept sandbox ended: ${this.failure}`}
    }
    // the runner's process waits (in the launcher's subshell, reading its go) until its pid here is known
    onStarted(this.launcherPid ? hostPidOf(this.launcherPid, inner) : undefined)
    ;(this.child.stdin as Writable).write('go\n')
    const exited = await this.nextLine()
    const match = exited ? /^exited (\d+) ([01])$/.exec(exited) : null
    if (!match) return {error: `the kept sandbox ended while its runner ran: ${this.failure}`}
    return {status: Number(match[1]), dirty: match[2] === '1'}
  }

  /** Whether the launcher is as it was when the slot started (see processAttributes). */
  unchanged(): boolean {
    return this.launcherPid !== undefined && processAttributes(this.launcherPid) === this.attributes
  }

  /** Ends the sandbox (its PID namespace, and whatever is in it, ends with its launcher); resolves once it exited. */
  retire(): Promise<void> {
    const closed = this.ended ? Promise.resolve() : new Promise<void>((resolve) => this.child.once('close', () => resolve()))
    this.child.kill('SIGKILL')
    return closed
  }

  private onData(text: string): void {
    this.buffer += text
    let at: number
    while ((at = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, at))
      this.buffer = this.buffer.slice(at + 1)
    }
    this.flush()
  }

  private flush(): void {
    if (!this.waiting) return
    if (this.lines.length > 0) {
      const waiting = this.waiting
      this.waiting = undefined
      waiting(this.lines.shift())
    } else if (this.ended) {
      const waiting = this.waiting
      this.waiting = undefined
      waiting(undefined)
    }
  }

  private nextLine(): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.waiting = resolve
      this.flush()
    })
  }
}
