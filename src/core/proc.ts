/**
 * What rigor needs to know about processes on this machine to stop runners:
 * process groups, liveness, start times and inherited environment markers.
 * Linux reads /proc; elsewhere the group-wide kill(2) is all there is.
 */
import {accessSync, closeSync, constants, openSync, readFileSync, readlinkSync, readSync, readdirSync} from 'node:fs'
import {delimiter, join} from 'node:path'

export interface ProcInfo {
  pid: number
  /** R, S, D, Z (a zombie: dead, waiting for a parent that may never reap it), ... */
  state: string
  pgid: number
  /** clock ticks after boot: tells a process from a later one that reused its pid */
  startTime: number
}

/** One process's group and start time from /proc/<pid>/stat, or undefined when it is gone (or there is no /proc). */
export function procInfo(pid: number): ProcInfo | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const fields = statFields(stat)
  const pgid = Number(fields[2])
  const startTime = Number(fields[19])
  if (!Number.isFinite(pgid) || !Number.isFinite(startTime)) return undefined
  return {pid, state: fields[0]!, pgid, startTime}
}

/**
 * The fields of a /proc/<pid>/stat line after the command name, from the state
 * (field 3) on: the name may hold spaces and parentheses, the fields after its
 * last ')' are fixed. [0] the state, [2] the group, [19] the start time.
 */
export function statFields(stat: string, count = 20): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ', count)
}

/** The first executable `name` in PATH's directories (`path`), or undefined. */
export function programOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

// bounded cache: this process's own start time never changes (null: asked, unknown)
let ownStart: number | null | undefined

/** This process's start time (see procInfo), read once. */
export function ownStartTime(): number | undefined {
  ownStart ??= procInfo(process.pid)?.startTime ?? null
  return ownStart ?? undefined
}

// bounded cache: a process never changes its PID namespace (null: asked, unknown)
let ownPidNs: number | null | undefined

/**
 * The inode of this process's PID namespace (`/proc/self/ns/pid`), read once: two processes of one machine see each
 * other's pids only in the same namespace (containers have their own). undefined where there is no /proc.
 */
export function ownPidNamespace(): number | undefined {
  if (ownPidNs === undefined) {
    let link = ''
    try {
      link = readlinkSync('/proc/self/ns/pid')
    } catch {}
    const inode = Number(/^pid:\[(\d+)\]$/.exec(link)?.[1])
    ownPidNs = Number.isSafeInteger(inode) ? inode : null
  }
  return ownPidNs ?? undefined
}

/**
 * Every living process visible in /proc (an empty list where there is no /proc).
 * Zombies are left out: they run nothing, and where PID 1 never reaps them
 * (some containers) they keep the group id of a run long gone.
 */
export function processTable(): ProcInfo[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const table: ProcInfo[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const info = procInfo(Number(entry))
    if (info && info.state !== 'Z') table.push(info)
  }
  return table
}

/** Whether the process's environment holds `NAME=value` exactly (children inherit it, even after leaving the group). */
export function hasEnvEntry(pid: number, entry: string): boolean {
  try {
    // every entry ends with a NUL: one search, no array of the whole environment
    return `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(`\0${entry}\0`)
  } catch {
    return false
  }
}

/**
 * hasEnvEntry for a sweep of every process: one buffer read into again and
 * again, searched as bytes, where reading each environment into a new string
 * cost a third more of the sweep that ends every run. An environment larger
 * than the buffer is read whole.
 */
function environScanner(entry: string): (pid: number) => boolean {
  const needle = Buffer.from(`\0${entry}\0`, 'latin1')
  const scratch = Buffer.allocUnsafe(64 * 1024)
  // a NUL before the first entry, so that it matches like the others
  scratch[0] = 0
  return (pid) => {
    let fd: number | undefined
    try {
      fd = openSync(`/proc/${pid}/environ`, 'r')
      let length = 1
      for (let read = 1; read > 0 && length < scratch.length; length += read)
        read = readSync(fd, scratch, length, scratch.length - length, null)
      if (length >= scratch.length) return hasEnvEntry(pid, entry)
      return scratch.subarray(0, length).includes(needle)
    } catch {
      return false
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }
}

/** The kernel keeps the first pids for itself when the counter goes round (RESERVED_PIDS). */
const RESERVED_PIDS = 300

/** How many processes (and threads) the machine has started since it booted (/proc/stat), or undefined. */
export function forkCount(): number | undefined {
  const text = readSmall('/proc/stat', 64 * 1024)
  const match = text === undefined ? null : /^processes (\d+)$/m.exec(text)
  return match ? Number(match[1]) : undefined
}

/**
 * Whether a pid was handed out after the runner's, for pids read now; undefined
 * when that cannot be told: the counter may have gone round past the runner's
 * pid (as many processes started since as there are pids), or /proc is not this
 * process's pid namespace.
 */
function pidsAllocatedSince(origin: RunOrigin): ((pid: number) => boolean) | undefined {
  if (origin.forks === undefined || readlinkOrUndefined('/proc/self') !== String(process.pid)) return undefined
  const last = Number(readSmall('/proc/loadavg', 256)?.trim().split(' ')[4])
  const forks = forkCount()
  const max = Number(readSmall('/proc/sys/kernel/pid_max', 64)?.trim())
  if (!Number.isInteger(last) || forks === undefined || !Number.isInteger(max)) return undefined
  if (forks - origin.forks >= max - RESERVED_PIDS - 1) return undefined
  return pidsAfter(origin.pid, last)
}

/**
 * The pids handed out after `runner` up to `last` (the last one handed out),
 * going round once: pids are handed out in increasing order, and after the
 * highest the counter starts again from the bottom.
 */
export function pidsAfter(runner: number, last: number): (pid: number) => boolean {
  return last >= runner ? (pid) => pid > runner && pid <= last : (pid) => pid > runner || pid <= last
}

function readSmall(path: string, limit: number): string | undefined {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const buffer = Buffer.allocUnsafe(limit)
    let length = 0
    for (let n = 1; n > 0 && length < limit; length += n) n = readSync(fd, buffer, length, limit - length, null)
    return buffer.toString('latin1', 0, length)
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

/** Whether a process with this pid exists and is not a zombie (EPERM means it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  return procInfo(pid)?.state !== 'Z'
}

/** Signals a whole process group; a group that is gone already is not an error. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (!pgid) return
  try {
    process.kill(-pgid, signal)
  } catch {
    // the group is gone already
  }
}

/** Signals one process; one that is gone already is not an error. */
export function signalProcess(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}

/**
 * Signals every member of a group but one. The sandbox's `bwrap` leads the
 * runner's group and dies at once on SIGTERM, which would SIGKILL the runner
 * through --die-with-parent before it could finish cleanly; so a polite stop
 * reaches the runner and its children, and bwrap leaves when the runner does.
 * Without /proc the whole group is signalled.
 */
export function signalGroupExcept(pgid: number, except: number, signal: NodeJS.Signals): void {
  const table = processTable()
  if (table.length === 0) {
    signalGroup(pgid, signal)
    return
  }
  for (const proc of table) {
    if (proc.pgid !== pgid || proc.pid === except) continue
    try {
      process.kill(proc.pid, signal)
    } catch {
      // it exited meanwhile
    }
  }
}

/**
 * The runner process groups one command has started and not yet seen end.
 * A command that must leave at once (a second Ctrl-C) kills them all first,
 * synchronously, so no runner outlives it.
 */
export class RunGroups {
  private readonly live = new Set<number>()

  add(pgid: number): void {
    this.live.add(pgid)
  }

  delete(pgid: number): void {
    this.live.delete(pgid)
  }

  get size(): number {
    return this.live.size
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const pgid of this.live) signalGroup(pgid, signal)
  }
}

/**
 * Where a run's processes are among the machine's: its runner's pid and start
 * time (procInfo), and how many processes the machine had started just before
 * it (forkCount). Every process the runner left was started after it.
 */
export interface RunOrigin {
  pid: number
  startTime?: number
  forks?: number
}

/**
 * SIGKILLs (or sends `signal` to) every process whose environment carries
 * `entry` (a run's RIGOR_RUN_ID, a configured command's RIGOR_COMMAND_ID): the
 * children a runner put in a session of their own, out of its process group,
 * the daemons a deploy command forked. Returns their pids; nothing where there
 * is no /proc.
 * Reading a process's environment costs the kernel a walk of its memory (~240
 * us a process here, against ~12 for its stat), and every run's end swept every
 * process on the machine; given the run's `origin`, only processes started
 * since its runner are read: those whose pid was handed out after the runner's
 * (pidsAllocatedSince), or where that cannot be told, those whose start time is
 * not earlier than the runner's.
 */
export function killMarked(entry: string, origin?: RunOrigin, signal: NodeJS.Signals = 'SIGKILL'): number[] {
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return []
  }
  const killed: number[] = []
  const carries = environScanner(entry)
  // after the listing: every pid listed was handed out by the time the last one is read
  const window = origin ? pidsAllocatedSince(origin) : undefined
  // without the window (the pid counter may have gone round): by start time, one stat a process
  const since = window ? undefined : origin?.startTime
  // every runner's exit runs this
  for (const name of names) {
    const first = name.charCodeAt(0)
    if (first < 48 || first > 57) continue
    const pid = Number(name)
    if (pid === process.pid) continue
    if (window && !window(pid)) continue
    // a process whose start cannot be read is gone, or read in full below
    if (since !== undefined && (procInfo(pid)?.startTime ?? since) < since) continue
    if (!carries(pid)) continue
    // told before the signal: a process it kills is a zombie at once, until its parent reaps it
    if ((procInfo(pid)?.state ?? 'Z') === 'Z') continue
    try {
      process.kill(pid, signal)
      killed.push(pid)
    } catch {
      // gone meanwhile
    }
  }
  return killed
}
