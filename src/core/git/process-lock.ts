import {hostname} from 'node:os'
import {open, readFile, rename, rm, stat} from 'node:fs/promises'
import {isAlive} from '../proc.js'

export interface LockOptions {
  /** a lock older than this is taken over even if its holder looks alive (a hung or remote holder) */
  staleMs: number
  /** how long to wait for a live holder before giving up; 0 waits for ever */
  timeoutMs: number
  /** what the lock protects, for the error message */
  purpose: string
}

export class LockTimeoutError extends Error {
  constructor(
    readonly file: string,
    readonly holder: string,
  ) {
    super(`${file} is held by ${holder}`)
  }
}

const HOST = hostname()

/**
 * A lock file that knows its holder (pid and host), so a lock left by a process
 * that was killed is taken over at once instead of after a fixed stale time: a
 * SIGKILLed command must not make the next one wait or fail. Correctness never
 * rests on these locks alone (the ref compare-and-swap does); they keep writers
 * of one machine from tripping over each other.
 */
export async function acquireLock(file: string, opts: LockOptions): Promise<() => Promise<void>> {
  const started = Date.now()
  const token = `${process.pid} ${HOST} ${Date.now()}`
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(token)
      await handle.close()
      return async () => {
        // only the holder removes its lock: a taken-over lock belongs to someone else now
        const now = await readFile(file, 'utf8').catch(() => undefined)
        if (now === token) await rm(file, {force: true})
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = await readHolder(file)
    if (holder && (holder.dead || Date.now() - holder.mtimeMs > opts.staleMs)) {
      // move the stale lock aside atomically so only one waiter removes it
      const aside = `${file}.stale.${process.pid}.${attempt}`
      await rename(file, aside).then(
        () => rm(aside, {force: true, recursive: true}),
        () => {},
      )
      continue
    }
    if (opts.timeoutMs > 0 && Date.now() - started > opts.timeoutMs)
      throw new LockTimeoutError(file, holder?.description ?? 'another process')
    await new Promise((r) => setTimeout(r, Math.min(50, 1 + attempt) * (0.5 + Math.random())))
  }
}

async function readHolder(file: string): Promise<{dead: boolean; mtimeMs: number; description: string} | undefined> {
  try {
    const info = await stat(file)
    // an older rigor locked with a directory: only its age can tell whether it is stale
    if (info.isDirectory()) return {dead: false, mtimeMs: info.mtimeMs, description: 'an older rigor process'}
    const text = await readFile(file, 'utf8')
    const [pidText, host] = text.split(' ')
    const pid = Number(pidText)
    const sameHost = host === HOST
    const dead = sameHost && Number.isInteger(pid) && pid > 0 && !isAlive(pid)
    return {dead, mtimeMs: info.mtimeMs, description: `pid ${pidText} on ${host ?? 'an unknown host'}`}
  } catch {
    // gone already, or being written this instant
    return undefined
  }
}
