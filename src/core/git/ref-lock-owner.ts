import {existsSync, linkSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {isAlive, ownPidNamespace, ownStartTime, procInfo} from '../proc.js'
import {RefLockedError} from '../errors.js'
import {acquireLock} from './process-lock.js'

/**
 * Ref locks that say who took them. A worker killed (SIGKILL, the OOM killer, a
 * CI timeout) between taking `<ref>.lock` and renaming it over the ref leaves
 * the lock behind, and git's lock files name no holder: every later writer of
 * the branch failed until a person removed it (one kill in 70 to 100 at
 * random moments of `rigor work`, measured). rigor takes a ref lock by
 * hard-linking a file of its own, named after its process, as the lock: the
 * lock and that file are one inode, so a lock whose inode belongs to a file of
 * a dead rigor process of this machine and PID namespace was left by that
 * process and is removed; any other lock (git's, a live process's, another
 * machine's or container's) is left alone.
 */

/** Where the owner files live: beside git's own files, never where git looks for refs. */
const ownersDir = (commonDir: string) => join(commonDir, 'rigor', 'ref-locks')

const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_')
const OWNER_NAME = /^(\d+)-(\d+)-(\d+)\.(.*)$/

/**
 * Takes `lock` holding `content` (the ref's next value) in one step, with this process named as its holder where the
 * file system can hard-link (else as git does: a lock that names nobody). undefined when the lock cannot be made at
 * all (the ref's directory is missing): git moves the ref then. `release` removes the owner file once the lock was
 * renamed over the ref or removed. Throws RefLockedError when another writer holds the lock.
 */
export function takeRefLock(commonDir: string, lock: string, content: string): {release: () => void} | undefined {
  // one name per process is enough: a lock is taken and let go within one synchronous call (moveLooseRef)
  const owner = join(ownersDir(commonDir), `${process.pid}-${ownStartTime() ?? 0}-${ownPidNamespace() ?? 0}.${HOST}`)
  try {
    writeOwner(owner, content)
  } catch {
    return takeUnownedRefLock(lock, content)
  }
  const release = () => unlinkQuietly(owner)
  try {
    linkSync(owner, lock)
    return {release}
  } catch (err) {
    release()
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new RefLockedError(lock)
    if (code === 'ENOENT') return undefined
    // a file system without hard links (EPERM, EXDEV, ENOTSUP...)
    return takeUnownedRefLock(lock, content)
  }
}

/** The lock as git takes it: it names nobody. */
function takeUnownedRefLock(lock: string, content: string): {release: () => void} | undefined {
  try {
    writeFileSync(lock, content, {flag: 'wx'})
    return {release: () => {}}
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RefLockedError(lock)
    return undefined
  }
}

/**
 * A new file, never one written through: a file of that name is a dead process's (the pid reused), and may be one
 * inode with a ref it renamed its lock over before it died.
 */
function writeOwner(owner: string, content: string): void {
  try {
    writeFileSync(owner, content, {flag: 'wx'})
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') mkdirSync(join(owner, '..'), {recursive: true})
    else if (code === 'EEXIST') unlinkSync(owner)
    else throw err
    writeFileSync(owner, content, {flag: 'wx'})
  }
}

/**
 * Removes `lock` when a rigor process of this machine that has died took it,
 * and with it the owner files dead processes left. true when the lock is gone
 * (removed here, or released meanwhile): the caller tries again at once.
 * Takeovers are serialised, so two writers that both found the dead lock cannot
 * remove a live one taken between them.
 */
export async function removeDeadRefLock(commonDir: string, lock: string): Promise<boolean> {
  const dir = ownersDir(commonDir)
  if (!existsSync(lock)) return true
  // no rigor process here ever took a lock this way
  if (!existsSync(dir)) return false
  let release: () => Promise<void>
  try {
    release = await acquireLock(join(dir, '..', 'ref-locks.lock'), {
      staleMs: 30_000,
      timeoutMs: 10_000,
      purpose: 'removing a dead ref lock',
    })
  } catch {
    return false
  }
  try {
    const held = statSync(lock, {throwIfNoEntry: false})
    if (!held) return true
    let removed = false
    for (const name of listOwners(dir)) {
      const match = OWNER_NAME.exec(name)
      // a pid means something only on this machine and in this PID namespace (a container sharing the disk has its own)
      if (!match || match[4] !== HOST || Number(match[3]) !== (ownPidNamespace() ?? 0)) continue
      if (!holderDied(Number(match[1]), Number(match[2]))) continue
      const owner = join(dir, name)
      const stat = statSync(owner, {throwIfNoEntry: false})
      if (stat && stat.ino === held.ino && stat.dev === held.dev) {
        unlinkQuietly(lock)
        removed = true
      }
      unlinkQuietly(owner)
    }
    return removed
  } finally {
    await release()
  }
}

function listOwners(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** The pid is gone, or belongs to a process started after the holder (start time known on Linux). */
function holderDied(pid: number, startTime: number): boolean {
  if (!isAlive(pid)) return true
  if (startTime === 0) return false
  const now = procInfo(pid)?.startTime
  return now !== undefined && now !== startTime
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch {
    // gone already
  }
}
