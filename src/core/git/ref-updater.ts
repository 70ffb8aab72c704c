import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {GitFailedError, RefConflictError, RefLockedError} from '../errors.js'
import type {ObjectFormat} from './object-format.js'
import {endProcess} from './end-process.js'

/** git was killed by a signal (rigor never signals git: one aimed at its whole process tree) in the middle of an update. */
export class GitKilledError extends GitFailedError {}

/**
 * One long-lived `git update-ref --stdin` process that moves refs by
 * compare-and-swap, one transaction at a time: a spawn per commit costs more
 * than the commit. A transaction git refuses (the ref moved) ends the process;
 * the next update starts a new one.
 */
export class RefUpdater {
  private proc?: ChildProcessWithoutNullStreams
  private output = ''
  private waiter?: {resolve: () => void; reject: (err: Error) => void}
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly cwd: string,
    private readonly format: ObjectFormat,
  ) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc
    // its own session: a Ctrl-C on the terminal must not kill it while rigor still has claims to put back
    const proc = spawn('git', ['update-ref', '--stdin', '-m', 'rigor'], {cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true})
    let stderr = ''
    proc.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8')
      if (this.output.includes('commit: ok\n')) {
        this.output = ''
        const w = this.waiter
        this.waiter = undefined
        w?.resolve()
      }
    })
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    proc.stdin.on('error', () => {})
    // a process that exited takes no more transactions, but its stderr may still be arriving:
    // the transaction in flight is settled on close, when git's whole message has been read
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = undefined
    })
    proc.on('close', (_code, signal) => {
      if (this.proc === proc) this.proc = undefined
      this.output = ''
      const w = this.waiter
      this.waiter = undefined
      if (!w) return
      if (signal) return w.reject(new GitKilledError(`git update-ref --stdin was killed by ${signal}`))
      const locked = /Unable to create '([^']+\.lock)': File exists/.exec(stderr)
      if (locked) w.reject(new RefLockedError(locked[1]!))
      // before the conflicts: what the hook printed may read as one ("main is at a frozen commit"), and a refusal retried
      // as a lost race is retried a thousand times, then blamed on other writers
      else if (/aborted by hook/.test(stderr)) w.reject(hookRefusal(stderr))
      else if (/cannot lock ref|but expected|reference already exists|unable to resolve|is at/i.test(stderr))
        w.reject(new RefConflictError(stderr.trim()))
      else w.reject(new GitFailedError(`git update-ref --stdin failed: ${stderr.trim() || 'exited'}`))
    })
    this.hold(proc, false)
    this.proc = proc
    return proc
  }

  private hold(proc: ChildProcessWithoutNullStreams, waiting: boolean): void {
    for (const handle of [proc, proc.stdout, proc.stderr, proc.stdin] as unknown as Array<{ref?: () => void; unref?: () => void}>) {
      if (waiting) handle.ref?.()
      else handle.unref?.()
    }
  }

  /** Moves `ref` to `next` only if it is at `expected` (undefined: must not exist); RefConflictError otherwise. */
  update(ref: string, next: string, expected: string | undefined): Promise<void> {
    const run = async () => {
      const proc = this.start()
      this.hold(proc, true)
      try {
        await new Promise<void>((resolve, reject) => {
          this.waiter = {resolve, reject}
          proc.stdin.write(`start\nupdate ${ref} ${next} ${expected ?? this.format.emptyOid}\nprepare\ncommit\n`)
        })
      } finally {
        if (this.proc === proc) this.hold(proc, false)
      }
    }
    const result = this.queue.then(run)
    this.queue = result.catch(() => {})
    return result
  }

  close(): Promise<void> {
    const proc = this.proc
    this.proc = undefined
    return endProcess(proc)
  }
}

/** The repository's reference-transaction hook refused the update: in its own words, with where such a hook lives. */
function hookRefusal(stderr: string): GitFailedError {
  return new GitFailedError(
    `the repository's reference-transaction hook refused rigor's ref update: ${stderr.trim()}`,
    "rigor moves its branch as git does, so git runs that hook (in core.hooksPath, or .git/hooks): make it accept rigor's updates, or remove it",
  )
}
