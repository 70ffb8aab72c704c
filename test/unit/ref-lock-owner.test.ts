import {spawnSync} from 'node:child_process'
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {RefLockedError} from '../../src/core/errors.js'
import {removeDeadRefLock, takeRefLock} from '../../src/core/git/ref-lock-owner.js'
import {ownStartTime} from '../../src/core/proc.js'

// a worker killed while it held the branch's lock left the lock behind, and every later writer failed: rigor's
// locks name their holder (one inode with a file of the holder's), so a dead holder's lock is removed and no other

let commonDir: string
let lock: string
const owners = () => join(commonDir, 'rigor', 'ref-locks')
beforeEach(() => {
  commonDir = mkdtempSync(join(tmpdir(), 'rigor-ref-lock-'))
  mkdirSync(join(commonDir, 'refs', 'heads'), {recursive: true})
  lock = join(commonDir, 'refs', 'heads', 'main.lock')
})
afterEach(() => rmSync(commonDir, {recursive: true, force: true}))

/** A pid no process has now: one that ran and was reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'})
  return Number(child.stdout)
}

const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_')
/** This process's PID namespace, as /proc/self/ns/pid names it */
const PID_NS = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1]

/** A lock as a process of this machine took it, through an owner file of its name; `ns`: its PID namespace. */
function deadProcessLock(pid: number, ns = PID_NS): string {
  mkdirSync(owners(), {recursive: true})
  const owner = join(owners(), `${pid}-0-${ns}.${HOST}`)
  writeFileSync(owner, 'abc\n')
  linkSync(owner, lock)
  return owner
}

describe('ref locks that name their holder', () => {
  it('takes the lock with its content in one step, one inode with an owner file that release removes', () => {
    const taken = takeRefLock(commonDir, lock, 'abc\n')
    expect(taken).toBeDefined()
    expect(readFileSync(lock, 'utf8')).toBe('abc\n')
    const [owner] = readdirSync(owners())
    expect(owner).toBe(`${process.pid}-${ownStartTime()}-${PID_NS}.${HOST}`)
    expect(statSync(join(owners(), owner!)).ino).toBe(statSync(lock).ino)
    taken!.release()
    expect(readdirSync(owners())).toEqual([])
    expect(existsSync(lock)).toBe(true)
  })

  it('a lock someone holds is RefLockedError, and leaves no owner file behind', () => {
    writeFileSync(lock, '')
    expect(() => takeRefLock(commonDir, lock, 'abc\n')).toThrow(RefLockedError)
    expect(readdirSync(owners())).toEqual([])
  })

  it('a missing ref directory is undefined: git moves the ref then', () => {
    expect(takeRefLock(commonDir, join(commonDir, 'refs', 'nowhere', 'x.lock'), 'abc\n')).toBeUndefined()
  })

  it('an owner file a dead process of the same pid left is replaced, never written through (it may be one inode with a ref)', () => {
    mkdirSync(owners(), {recursive: true})
    const taken = takeRefLock(commonDir, lock, 'first\n')!
    const [name] = readdirSync(owners())
    // as if this process had been killed after renaming its lock over the ref: the ref and the owner are one file
    const ref = join(commonDir, 'refs', 'heads', 'main')
    linkSync(join(owners(), name!), ref)
    rmSync(lock)
    const again = takeRefLock(commonDir, lock, 'second\n')!
    expect(readFileSync(ref, 'utf8')).toBe('first\n')
    expect(readFileSync(lock, 'utf8')).toBe('second\n')
    again.release()
    taken.release()
  })

  it("removes a dead holder's lock and its owner file", async () => {
    const owner = deadProcessLock(deadPid())
    expect(await removeDeadRefLock(commonDir, lock)).toBe(true)
    expect(existsSync(lock)).toBe(false)
    expect(existsSync(owner)).toBe(false)
  })

  it("keeps a live holder's lock, and a lock that names nobody (git's)", async () => {
    deadProcessLock(process.pid)
    expect(await removeDeadRefLock(commonDir, lock)).toBe(false)
    expect(existsSync(lock)).toBe(true)
    rmSync(commonDir, {recursive: true, force: true})
    mkdirSync(join(commonDir, 'refs', 'heads'), {recursive: true})
    writeFileSync(lock, '')
    expect(await removeDeadRefLock(commonDir, lock)).toBe(false)
    expect(existsSync(lock)).toBe(true)
  })

  it("keeps a lock when the dead process's owner file is another inode (it died before its lock was taken), and clears that file", async () => {
    mkdirSync(owners(), {recursive: true})
    const owner = join(owners(), `${deadPid()}-0-${PID_NS}.${HOST}`)
    writeFileSync(owner, 'abc\n')
    writeFileSync(lock, '')
    expect(await removeDeadRefLock(commonDir, lock)).toBe(false)
    expect(existsSync(lock)).toBe(true)
    expect(existsSync(owner)).toBe(false)
  })

  it('keeps a lock whose owner names another machine: its process cannot be looked up from here', async () => {
    mkdirSync(owners(), {recursive: true})
    const owner = join(owners(), `${deadPid()}-0-${PID_NS}.another-host.example`)
    writeFileSync(owner, 'abc\n')
    linkSync(owner, lock)
    expect(await removeDeadRefLock(commonDir, lock)).toBe(false)
    expect(existsSync(lock)).toBe(true)
  })

  it('keeps a lock whose owner is of another PID namespace (a container sharing the disk): its pids are not ours', async () => {
    deadProcessLock(deadPid(), '1')
    expect(await removeDeadRefLock(commonDir, lock)).toBe(false)
    expect(existsSync(lock)).toBe(true)
    expect(readdirSync(owners())).toHaveLength(1)
  })

  it('a lock released meanwhile is gone: true, try again', async () => {
    expect(await removeDeadRefLock(commonDir, lock)).toBe(true)
  })
})
