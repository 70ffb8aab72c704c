import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {acquireLock} from '../../src/core/git/process-lock.js'

// a process killed between creating its lock file and writing its name in it left an empty lock, which named no
// holder: the next command waited out the stale time (a minute for the checkout's sync) before it went on

let dir: string
let lock: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigor-process-lock-'))
  lock = join(dir, 'sync.lock')
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** Never stale by age in these tests; a lock that is not taken over fails them after 20 s. */
const opts = {staleMs: 600_000, timeoutMs: 20_000, purpose: 'a test'}

/** A moment well before now: when a killed process left its lock. */
const earlier = () => new Date(Date.now() - 5 * 60_000)

/** A pid no process has now: one that ran and was reaped. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!

describe('acquireLock', () => {
  it.each([
    ['empty', ''],
    ['cut after the pid', '12345'],
    ['cut after the host', `12345 ${hostname()}`],
  ])('takes over a lock left %s by a process killed while it wrote it, without waiting out staleMs', async (_, content) => {
    writeFileSync(lock, content)
    utimesSync(lock, earlier(), earlier())
    const release = await acquireLock(lock, opts)
    expect(readdirSync(dir)).toEqual(['sync.lock'])
    await release()
    expect(readdirSync(dir)).toEqual([])
  })

  it('waits for a live holder, and takes over a dead one', async () => {
    writeFileSync(lock, `${process.pid} ${hostname()} ${Date.now()}`)
    utimesSync(lock, earlier(), earlier())
    await expect(acquireLock(lock, {...opts, timeoutMs: 200})).rejects.toThrow(`held by pid ${process.pid}`)
    writeFileSync(lock, `${deadPid()} ${hostname()} ${Date.now()}`)
    const release = await acquireLock(lock, opts)
    await release()
  })

  it('leaves no file of its own beside the lock, and removes those a killed process left', async () => {
    const left = join(dir, `sync.lock.${deadPid()}.0123abcd.new`)
    writeFileSync(left, `${deadPid()} ${hostname()} ${Date.now()}`)
    const release = await acquireLock(lock, opts)
    expect(readdirSync(dir)).toEqual(['sync.lock'])
    await release()
  })

  it('one holder at a time among many takers', async () => {
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({length: 8}, async () => {
        const release = await acquireLock(lock, opts)
        most = Math.max(most, ++inside)
        await new Promise((r) => setTimeout(r, 5))
        inside--
        await release()
      }),
    )
    expect(most).toBe(1)
    expect(readdirSync(dir)).toEqual([])
  })
})
