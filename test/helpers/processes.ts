import {readFileSync, readdirSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A process that exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

/** A test timeout for tests that start several CLI processes and wait on them: 2 shared cores get loaded. */
export const SLOW = 600_000

/** Polls `condition` until it holds; fails naming `what` after a generous deadline (machines here are loaded). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

/**
 * The pids a runner wrote to `file`, one per line, once `count` whole lines are there. A file seen between its
 * creation and its write is empty, so existence alone is not enough (an empty read once made a live tree look dead).
 */
export async function waitForPids(file: string, count: number): Promise<number[]> {
  let pids: number[] = []
  await waitFor(`${count} pids in ${file}`, () => {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return false
    }
    pids = text
      .split('\n')
      .slice(0, -1)
      .map(Number)
      .filter((pid) => pid > 0)
    return pids.length >= count
  })
  return pids
}

/** Live processes whose environment holds `NAME=value`: finds a sandboxed runner's host pids, which it cannot report itself. */
export function pidsWithEnv(entry: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry) && alive(Number(name))) pids.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

/** The run directories rigor keeps under .git/rigor/runs while runs last. */
export function runDirs(repoDir: string): string[] {
  try {
    return readdirSync(join(repoDir, '.git', 'rigor', 'runs'))
  } catch {
    return []
  }
}

export function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** Live processes (other than this one) whose working directory is `dir`: what a command left running there. */
export function pidsInDir(dir: string): Array<{pid: number; command: string}> {
  const found: Array<{pid: number; command: string}> = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readlinkSync(`/proc/${name}/cwd`) !== dir || !alive(Number(name))) continue
      found.push({pid: Number(name), command: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim()})
    } catch {
      // gone meanwhile, or not ours to look at
    }
  }
  return found
}

/**
 * Waits until no process but this one (and those `keep` names) works in `dir`; fails listing them.
 * `keep`: a test's own wrapper that stays on purpose (a tmux pane kept open for capture-pane).
 */
export async function expectNothingLeftIn(dir: string, keep: (command: string) => boolean = () => false): Promise<void> {
  const left = () => pidsInDir(dir).filter((p) => !keep(p.command))
  try {
    await waitFor(`no process left in ${dir}`, () => left().length === 0, 30_000)
  } catch {
    throw new Error(`processes left in ${dir}: ${JSON.stringify(left())}`)
  }
}
