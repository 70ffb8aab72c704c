/**
 * The host directories of a kept sandbox (sandbox-slot.ts): its RIGOR_OUT, and
 * its /tmp and /dev/shm, which rigor empties from outside between two runs
 * (inside, emptying them would take an `rm` a run). Mount points bwrap made in
 * them for paths bound below /tmp or /dev/shm (a workspace under /tmp) look
 * like empty directories or files from outside; removing one would take that
 * path away from the sandbox, so they and the directories leading to them stay.
 */
import {chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, symlinkSync, unlinkSync} from 'node:fs'
import {join, relative, resolve, sep} from 'node:path'
import {isAlive} from '../proc.js'
import {removeTree} from './remove-tree.js'

export interface SlotDirs {
  /** the slot's own directory, under the repository's git directory (rigor/slots/<name>) */
  root: string
  /** RIGOR_OUT inside the sandbox, at the same path */
  out: string
  /** shown as the sandbox's /tmp */
  tmp: string
  /** shown as the sandbox's /dev/shm */
  shm: string
}

export function slotDirs(slotsDir: string, name: string): SlotDirs {
  const root = join(slotsDir, name)
  return {root, out: join(root, 'out'), tmp: join(root, 'tmp'), shm: join(root, 'shm')}
}

export function makeSlotDirs(dirs: SlotDirs): void {
  for (const dir of [dirs.out, dirs.tmp, dirs.shm]) mkdirSync(dir, {recursive: true, mode: 0o700})
  // a runner sees /tmp and /dev/shm writable by anyone, as on a host (a runner may switch users inside)
  chmodSync(dirs.tmp, 0o1777)
  chmodSync(dirs.shm, 0o1777)
}

/** A slot's name: its process's pid first, so that a later process can tell a dead one's slots (sweepDeadSlots). */
export function slotName(pid: number, n: number): string {
  return `${pid}.${n}.${Math.random().toString(36).slice(2, 8)}`
}

/** Removes the slot directories of processes that are gone (a runner helper SIGKILLed with its slots). */
export function sweepDeadSlots(slotsDir: string): void {
  let names: string[]
  try {
    names = readdirSync(slotsDir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(name.split('.')[0])
    if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || isAlive(pid))) continue
    try {
      removeTree(join(slotsDir, name))
    } catch {
      // left for a later sweep
    }
  }
}

/**
 * The paths relative to `dir` (the host directory shown at `inside`) that
 * bwrap made as mount points for `targets`: each target below `inside`, and
 * the directories leading to it.
 */
export function mountPointsUnder(inside: string, targets: readonly string[]): Set<string> {
  const kept = new Set<string>()
  for (const target of targets) {
    const rel = relative(inside, resolve(target))
    if (!rel || rel.startsWith('..') || rel.startsWith(sep)) continue
    const parts = rel.split(sep)
    for (let i = 1; i <= parts.length; i++) kept.add(parts.slice(0, i).join(sep))
  }
  return kept
}

/**
 * Empties `dir` but for `kept` (mountPointsUnder): a kept path's own contents
 * are looked into (a runner may have left files beside a mount point), a
 * target itself is left as it is (inside it is the bound path, read-only).
 */
export function emptyExcept(dir: string, kept: ReadonlySet<string>, targets: ReadonlySet<string> = new Set(), prefix = ''): void {
  // names as bytes: a runner may leave one that is no UTF-8, which a string would not name again
  for (const raw of readdirSync(dir, {encoding: 'buffer'})) {
    const name = raw.toString('utf8')
    const rel = prefix ? `${prefix}${sep}${name}` : name
    const path = bytePath(dir, raw)
    if (!kept.has(rel) || !Buffer.from(name, 'utf8').equals(raw)) {
      // however deep a tree a run made (remove-tree.ts)
      removeTree(path)
      continue
    }
    if (targets.has(rel)) continue
    if (lstatSync(path).isDirectory()) emptyExcept(join(dir, name), kept, targets, rel)
  }
}

const bytePath = (dir: string, name: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}${sep}`, 'utf8'), name])

/**
 * The device, inode, mode and owner of each path of `kept` (mountPointsUnder)
 * in `dir`, as one string. A run may rename a directory leading to a mount
 * point (the mount goes with it) and make its own in its place: the later runs
 * of the slot would find the run's files at the workspace's path, and their
 * RIGOR_OUT there, or nothing; or it may take the directory's search right
 * away. Either changes this, and the slot is retired.
 */
export function layoutOf(dir: string, kept: ReadonlySet<string>): string {
  return [...kept]
    .sort()
    .map((rel) => {
      try {
        const stat = lstatSync(join(dir, rel))
        return `${rel} ${stat.dev} ${stat.ino} ${stat.mode} ${stat.uid} ${stat.gid}`
      } catch {
        return `${rel} -`
      }
    })
    .join('\n')
}

/**
 * While the run lasts, the run's own RIGOR_OUT (empty: made for the run) is a
 * link to the slot's, so that what reads a live run's directory (its run.log,
 * a file the runner writes as it goes) finds it where it would without a kept
 * sandbox. The runner sees only the slot's path.
 */
export function linkOutputs(slotOut: string, runOut: string): void {
  try {
    rmdirSync(runOut)
  } catch {
    // not there, or not empty: left as it is (the outputs are moved into it after the run)
    return
  }
  symlinkSync(slotOut, runOut)
}

/** Moves everything a run left in the slot's RIGOR_OUT into the run's own directory (linkOutputs' link replaced). */
export function moveOutputs(from: string, to: string): void {
  try {
    if (lstatSync(to).isSymbolicLink()) unlinkSync(to)
  } catch {
    // not there: made below
  }
  mkdirSync(to, {recursive: true})
  for (const name of readdirSync(from, {encoding: 'buffer'})) renameSync(bytePath(from, name), bytePath(to, name))
}

/** This process's launcher copy (its pid first: sweepDeadSlots removes a dead process's). */
export const launcherPath = (slotsDir: string): string => join(slotsDir, `${process.pid}.launcher`)

/**
 * The launcher's program: a copy of the system shell that the sandbox may run
 * but not read (mode 0111). The kernel marks a process that executes a file it
 * may not read as not dumpable: a runner of the same user cannot open its
 * /proc/<pid>/mem, its descriptors or its environment, nor ptrace it
 * (docs/benchmarks.md, thirteenth pass).
 */
export function launcherCopy(slotsDir: string, shell: string): string {
  const path = launcherPath(slotsDir)
  try {
    if ((lstatSync(path).mode & 0o777) === 0o111) return path
  } catch {
    // not made yet
  }
  mkdirSync(slotsDir, {recursive: true})
  const draft = `${path}.${Math.random().toString(36).slice(2, 8)}`
  copyFileSync(shell, draft)
  chmodSync(draft, 0o111)
  renameSync(draft, path)
  return path
}
