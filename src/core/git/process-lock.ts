import {randomUUID} from 'node:crypto'
import {hostname} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {link, open, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
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
 * The lock comes into being with its holder written in it: the token is written
 * to a file of this process's, which is then hard-linked as the lock. Before, the
 * lock was created empty and then written, and a process killed in between left
 * an empty lock that named no holder: the next command waited out `staleMs`
 * (a minute for the checkout's sync).
 */
export async function acquireLock(file: string, opts: LockOptions): Promise<() => Promise<void>> {
  const started = Date.now()
  // the random part tells apart two takers of one process in one millisecond: each removes only its own lock
  const nonce = randomUUID().slice(0, 8)
  const token = `${process.pid} ${HOST} ${Date.now()} ${nonce}`
  const own = `${file}.${process.pid}.${nonce}${OWN_SUFFIX}`
  await writeFile(own, token, {flag: 'wx'})
  try {
    for (let attempt = 0; ; attempt++) {
      if (await create(file, own, token)) {
        await removeLeftOwnFiles(file)
        return async () => {
          // only the holder removes its lock: a taken-over lock belongs to someone else now
          const now = await readFile(file, 'utf8').catch(() => undefined)
          if (now === token) await rm(file, {force: true})
        }
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
  } finally {
    await rm(own, {force: true})
  }
}

/** The end of the name of the file a process writes its token to before it links it as the lock. */
const OWN_SUFFIX = '.new'

/** Creates `file` holding `token` in one step (a hard link to `own`); false when it exists already. */
async function create(file: string, own: string, token: string): Promise<boolean> {
  try {
    await link(own, file)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code === 'ENOENT') throw err
  }
  // a file system without hard links (EPERM, ENOTSUP...): created, then written, as before
  try {
    const handle = await open(file, 'wx')
    await handle.writeFile(token)
    await handle.close()
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

/** Removes the token files of this lock that processes killed before they removed them left behind. */
async function removeLeftOwnFiles(file: string): Promise<void> {
  const prefix = `${basename(file)}.`
  const names = await readdir(dirname(file)).catch(() => [] as string[])
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(OWN_SUFFIX)) continue
    const pid = Number(name.slice(prefix.length).split('.')[0])
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) await rm(join(dirname(file), name), {force: true})
  }
}

/**
 * How long a lock whose content names no holder (empty, or cut short) may be in the making: an older rigor created
 * its lock and then wrote it, microseconds apart. Older than this, it was left by a process killed in between.
 */
const UNNAMED_GRACE_MS = 1_000

async function readHolder(file: string): Promise<{dead: boolean; mtimeMs: number; description: string} | undefined> {
  try {
    const info = await stat(file)
    // an older rigor locked with a directory: only its age can tell whether it is stale
    if (info.isDirectory()) return {dead: false, mtimeMs: info.mtimeMs, description: 'an older rigor process'}
    const text = await readFile(file, 'utf8')
    const [pidText, host, since] = text.split(' ')
    const pid = Number(pidText)
    if (!(Number.isInteger(pid) && pid > 0 && host && since)) {
      const abandoned = Date.now() - info.mtimeMs > UNNAMED_GRACE_MS
      return {dead: abandoned, mtimeMs: info.mtimeMs, description: 'a process that did not write its name in the lock'}
    }
    const dead = host === HOST && !isAlive(pid)
    return {dead, mtimeMs: info.mtimeMs, description: `pid ${pidText} on ${host}`}
  } catch {
    // gone already, or being written this instant
    return undefined
  }
}
