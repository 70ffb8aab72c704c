import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {GitFailedError, InternalError} from '../errors.js'
// how often a read is asked again after a signal killed the process: rigor never signals git (see runGit)
import {RERUNS_IF_KILLED} from './exec.js'
import {endProcess} from './end-process.js'
import {Fifo} from './fifo.js'
import type {LooseObjectReader} from './loose-read.js'

export interface GitObject {
  oid: string
  type: string
  body: Buffer
}

/** how many reads readEach asks of git before it writes them, rather than at the end of its turn */
const SEND_EVERY = 256

interface Pending {
  name: string
  resolve: (obj: GitObject | undefined) => void
  reject: (err: Error) => void
  /** how often it was asked again of a new process, after a signal killed the one it was asked of */
  reruns: number
}

/**
 * One long-lived `git cat-file --batch` process: objects are read by request
 * over a pipe instead of a spawn per read. Answers arrive in request order.
 */
export class CatFileBatch {
  private proc?: ChildProcessWithoutNullStreams
  private readonly queue = new Fifo<Pending>()
  private buffer: Buffer = Buffer.alloc(0)

  constructor(
    private readonly cwd: string,
    /** loose objects read without git, by full id (see LooseObjectReader) */
    private readonly loose?: LooseObjectReader,
  ) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc
    // its own session: a Ctrl-C on the terminal must not kill it while rigor still has claims to put back
    const proc = spawn('git', ['cat-file', '--batch'], {cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true})
    let exited = false
    proc.stdout.on('data', (chunk: Buffer) => {
      // what a process that exited still had in its pipe answers nothing: its unanswered reads were asked again or failed
      if (exited) return
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
      this.drain()
    })
    proc.stderr.resume()
    proc.on('exit', (_code, signal) => {
      exited = true
      const pending = this.queue.takeAll()
      if (this.proc === proc) {
        this.proc = undefined
        // names not written yet were this process's: those asked again below are queued anew
        this.unsent = []
      }
      this.buffer = Buffer.alloc(0)
      // a signal aimed at rigor's whole process tree (Slurm's scancel) killed it: the reads are asked of a new one
      const again = signal ? pending.filter((p) => p.reruns < RERUNS_IF_KILLED) : []
      const err = new GitFailedError(`git cat-file --batch exited${signal ? ` (${signal})` : ''} while rigor was reading objects`)
      const asking = new Set(again)
      for (const p of pending) if (!asking.has(p)) p.reject(err)
      for (const p of again) this.ask({...p, reruns: p.reruns + 1})
    })
    proc.stdin.on('error', () => {})
    this.proc = proc
    this.hold(false)
    return proc
  }

  /** Keeps the event loop alive only while answers are awaited, so an idle reader never holds a command open. */
  private hold(waiting: boolean): void {
    const proc = this.proc
    if (!proc) return
    for (const handle of [proc, proc.stdout, proc.stderr, proc.stdin] as unknown as Array<{ref?: () => void; unref?: () => void}>) {
      if (waiting) handle.ref?.()
      else handle.unref?.()
    }
  }

  private drain(): void {
    // one pass over what has come, by offset: a view and a header split apiece were most of the time a read took here
    const buffer = this.buffer
    let at = 0
    while (this.queue.length > 0) {
      const eol = buffer.indexOf(0x0a, at)
      if (eol === -1) break
      // "<oid> <type> <size>", or "<name> missing" / "<name> ambiguous" (only its last word is read: a name may hold spaces)
      const header = buffer.toString('latin1', at, eol)
      const lastSpace = header.lastIndexOf(' ')
      const last = header.slice(lastSpace + 1)
      if (last === 'missing' || last === 'ambiguous') {
        at = eol + 1
        this.queue.shift()!.resolve(undefined)
        continue
      }
      const size = Number(last)
      const start = eol + 1
      if (buffer.length < start + size + 1) break
      // a copy: the chunk it came in is let go
      const body = Buffer.allocUnsafe(size)
      buffer.copy(body, 0, start, start + size)
      at = start + size + 1
      const firstSpace = header.indexOf(' ')
      this.queue.shift()!.resolve({oid: header.slice(0, firstSpace), type: header.slice(firstSpace + 1, lastSpace), body})
    }
    this.buffer = at === 0 ? buffer : buffer.subarray(at)
    if (this.queue.length === 0) this.hold(false)
  }

  /** Reads an object by any name git accepts (`<oid>`, `<rev>:<path>`); undefined when missing. */
  read(name: string): Promise<GitObject | undefined> {
    if (name.includes('\n')) return Promise.reject(new InternalError(`object name contains a newline: ${JSON.stringify(name)}`))
    const found = this.loose?.read(name)
    if (found) return Promise.resolve({oid: name, ...found})
    return new Promise((resolve, reject) => this.ask({name, resolve, reject, reruns: 0}))
  }

  /** names asked but not written yet: the reads asked in one turn go to git in one write, not one write each */
  private unsent: string[] = []

  private ask(pending: Pending): void {
    this.start()
    if (this.queue.length === 0) this.hold(true)
    this.queue.push(pending)
    if (this.unsent.push(pending.name) === 1) queueMicrotask(() => this.send())
  }

  private send(): void {
    if (this.unsent.length === 0) return
    const names = this.unsent
    this.unsent = []
    this.proc?.stdin.write(`${names.join('\n')}\n`)
  }

  /** Reads many objects: the loose ones from the object store, the rest with one pipelined round trip. */
  async readMany(names: string[]): Promise<Array<GitObject | undefined>> {
    const objects: Array<GitObject | undefined> = []
    await this.readEach(names, (i, obj) => {
      objects[i] = obj
    })
    return objects
  }

  /**
   * Reads many objects and hands each to `each` as it comes, in no set order: a
   * loose one as soon as it is read, the others (packed ones) once git answers. Those
   * are asked for as they are met, a few hundred to a write, so git reads them
   * while the caller works on the loose ones and on the answers before them.
   */
  async readEach(names: readonly string[], each: (index: number, obj: GitObject | undefined) => void): Promise<void> {
    const bad = names.find((n) => n.includes('\n'))
    if (bad !== undefined) throw new InternalError(`object name contains a newline: ${JSON.stringify(bad)}`)
    const loose = this.loose?.batch()
    // each answer goes to `each` as drain meets it, not through a promise apiece: 10,000 promises were a good part of a
    // cold status. A failure (a read refused, `each` throwing on git's answer) is kept, the answers after it are not
    // handed over, and it is thrown once every read asked has settled. One met while asking (`each` throwing on a loose
    // object) is thrown at once: the reads already asked still settle, and see the failure, so none answers into a
    // caller that has moved on
    let asked = 0
    let waiting = 0
    let failure: {err: unknown} | undefined
    let finish: (() => void) | undefined
    const settled = () => {
      if (--waiting === 0) finish?.()
    }
    const answer = (i: number, name: string): Pending => ({
      name,
      reruns: 0,
      resolve: (obj) => {
        try {
          if (!failure) each(i, obj)
        } catch (err) {
          failure = {err}
        }
        settled()
      },
      reject: (err) => {
        failure ??= {err}
        settled()
      },
    })
    try {
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!
        const found = loose?.read(name)
        if (found) {
          each(i, {oid: name, ...found})
          continue
        }
        asked++
        waiting++
        this.ask(answer(i, name))
        if (asked % SEND_EVERY === 0) this.send()
      }
    } catch (err) {
      failure ??= {err}
      this.send()
      throw err
    }
    this.send()
    if (waiting > 0) await new Promise<void>((resolve) => (finish = resolve))
    if (failure) throw failure.err
  }

  close(): Promise<void> {
    const proc = this.proc
    this.proc = undefined
    return endProcess(proc)
  }
}
