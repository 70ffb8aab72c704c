import {spawn} from 'node:child_process'
import {constants} from 'node:os'

export interface TextRunOptions {
  cwd?: string
  /** written to the process's stdin, which is then closed; without it the process gets no stdin */
  input?: string | Buffer
  /** added to (and overriding) this process's environment; a variable given as undefined is left out */
  env?: Record<string, string | undefined>
  /** its own session and process group, so a Ctrl-C on the terminal does not reach it */
  detached?: boolean
  /**
   * stdout as bytes, one character per byte (latin1), nothing stripped: for
   * NUL-separated listings whose paths may hold any byte but NUL (a newline, a
   * name that is not UTF-8). Buffer.from(text, 'latin1') gives the bytes back.
   */
  binary?: boolean
  /**
   * after this many milliseconds the process (with `detached`, its whole process group: git's transport helpers, ssh)
   * is killed with SIGKILL and the result says `timedOut`
   */
  timeoutMs?: number
}

export interface TextResult {
  stdout: string
  stderr: string
  /** the exit code; 127 when the program could not be started, 128+n when signal n ended it */
  exitCode: number
  /** the signal that ended it, when one did */
  signal?: string
  /** killed because it ran past `timeoutMs` */
  timedOut?: boolean
}

/**
 * Runs a program with an argument array (never a shell) and collects its output
 * as text, one final newline stripped. Plain child_process: git and ssh-keygen
 * are run on every command's start-up path, where loading a process library
 * cost more than the processes themselves.
 */
export function runText(file: string, args: readonly string[], opts: TextRunOptions = {}): Promise<TextResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ? {...process.env, ...opts.env} : process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: opts.detached,
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk))
    let startError: Error | undefined
    child.on('error', (error) => (startError = error))
    let timedOut = false
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            try {
              // the group: a git killed alone leaves its transport (git-remote-https, ssh) holding the pipes open
              if (opts.detached && child.pid) process.kill(-child.pid, 'SIGKILL')
              else child.kill('SIGKILL')
            } catch {
              child.kill('SIGKILL')
            }
          }, opts.timeoutMs)
    if (opts.input !== undefined) {
      // a program that exits without reading all of its input is not an error here: its exit code says how it went
      child.stdin!.on('error', () => {})
      child.stdin!.end(opts.input)
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const text = (chunks: Buffer[]) =>
        Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r?\n$/, '')
      const stderr = startError ? `${text(err)}${startError.message}` : text(err)
      // a program that never started reports a negative errno as its code
      const exitCode = startError ? 127 : (code ?? 128 + (signal ? constants.signals[signal] : 0))
      const stdout = opts.binary ? Buffer.concat(out).toString('latin1') : text(out)
      resolve({stdout, stderr, exitCode, signal: signal ?? undefined, ...(timedOut ? {timedOut} : {})})
    })
  })
}
