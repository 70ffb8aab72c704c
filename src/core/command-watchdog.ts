/**
 * A configured command must not outlive the rigor process that started it, and
 * a SIGKILLed rigor runs no handler: before, `kill -9` of `rigor design` left
 * the agent and what it started running, with no timeout left to stop them.
 * Node cannot ask the kernel to signal a child when its parent dies (there is
 * no PR_SET_PDEATHSIG), and that would reach the command alone, not its
 * children. So the first configured command a rigor process runs starts a small
 * watchdog process beside it, in a process group of its own, told over a pipe
 * which commands are running; the pipe closes when rigor exits, however it
 * exits, and the watchdog then kills the commands still running (their groups,
 * and every process carrying their marker) and leaves. One watchdog serves
 * every command of the process; it never keeps rigor alive.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {Writable} from 'node:stream'
import {packageRoot} from './package-root.js'

const WATCHDOG_PROGRAM = join(packageRoot(import.meta.url), 'dist', 'core', 'command-watchdog-process.js')

/** undefined: not started yet (or gone, started again by the next command); null: cannot be started here */
let watchdog: ChildProcess | null | undefined

export interface WatchedCommand {
  /** the command started: its process group (its pid) and start time, to find what it left */
  started(pid: number, startTime: number | undefined): void
  /** the command and what it left are gone (or it never started) */
  done(): void
}

/**
 * Tells the watchdog, before the command is spawned, that a command whose processes carry `entry` (its
 * `RIGOR_COMMAND_ID=...`) runs from now on; `forks` is the machine's process count just before it (forkCount).
 * Where the watchdog cannot run (its program is not built), the command runs without it.
 */
export function watchCommand(entry: string, forks: number | undefined): WatchedCommand {
  const say = (line: string) => {
    const stdin = watchdogInput()
    // the watchdog gone meanwhile: the next line starts another, and this command is rigor's own to stop as before
    if (stdin?.writable) stdin.write(`${line}\n`)
  }
  say(`watch ${entry} ${forks ?? '-'}`)
  return {
    started: (pid, startTime) => say(`group ${entry} ${pid} ${startTime ?? '-'}`),
    done: () => say(`done ${entry}`),
  }
}

function watchdogInput(): Writable | undefined {
  if (watchdog === undefined) watchdog = startWatchdog()
  return watchdog?.stdin ?? undefined
}

function startWatchdog(): ChildProcess | null {
  if (!existsSync(WATCHDOG_PROGRAM)) return null
  let child: ChildProcess
  try {
    // a group of its own: a Ctrl-C, or a kill of rigor's whole group, leaves it to clean up after rigor
    child = spawn(process.execPath, [WATCHDOG_PROGRAM], {stdio: ['pipe', 'ignore', 'ignore'], detached: true})
  } catch {
    return null
  }
  child.on('error', () => {})
  child.stdin!.on('error', () => {})
  child.on('exit', () => {
    if (watchdog === child) watchdog = undefined
  })
  // neither the process nor its pipe keeps rigor alive: rigor's exit is what the watchdog waits for
  child.unref()
  ;(child.stdin as unknown as {unref?: () => void}).unref?.()
  return child
}
