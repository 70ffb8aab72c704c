/**
 * The few error kinds rigor raises. Exit codes are decided here and nowhere else:
 * 1 a failed check, 2 bad usage or input, 3 nothing to do; 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
 */
export const EXIT = {ok: 0, failure: 1, usage: 2, nothingToDo: 3, hungUp: 129, interrupted: 130, terminated: 143} as const

/** The signals that stop a command cleanly: Ctrl-C, a stop (kill, systemd, Slurm), and the terminal closing. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** A command stopped by a signal exits 128 + the signal's number, as a shell reports it: SIGHUP 129, SIGINT 130, SIGTERM 143. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? EXIT.terminated : signal === 'SIGHUP' ? EXIT.hungUp : EXIT.interrupted
}

export class RigorError extends Error {
  readonly exitCode: number
  readonly fix?: string
  constructor(message: string, opts: {exitCode?: number; fix?: string; cause?: unknown} = {}) {
    super(message, {cause: opts.cause})
    this.name = new.target.name
    this.exitCode = opts.exitCode ?? EXIT.failure
    this.fix = opts.fix
  }

  /** The message as printed: what went wrong, then how to fix it. */
  get report(): string {
    return this.fix ? `${this.message}\nFix: ${this.fix}` : this.message
  }
}

/**
 * A command stopped by SIGINT, SIGTERM or SIGHUP (an aborted signal's reason, as
 * withAbort sets it) before it wrote anything: exit 130, 143 or 129, with what to do.
 */
export function stoppedError(reason: unknown, what: string, fix: string, outcome = 'nothing was written'): RigorError {
  const signal: NodeJS.Signals = reason === 'SIGTERM' || reason === 'SIGHUP' ? reason : 'SIGINT'
  return new RigorError(`${what} was stopped by ${signal}: ${outcome}`, {exitCode: exitCodeForSignal(signal), fix})
}

/** Bad flags, arguments or input files (exit 2). Names the file and the field when there is one. */
export class InputError extends RigorError {
  readonly file?: string
  readonly field?: string
  constructor(message: string, opts: {file?: string; field?: string; fix?: string; cause?: unknown} = {}) {
    const where = [opts.file, opts.field ? `field "${opts.field}"` : undefined].filter(Boolean).join(', ')
    super(where ? `${where}: ${message}` : message, {exitCode: EXIT.usage, fix: opts.fix, cause: opts.cause})
    this.file = opts.file
    this.field = opts.field
  }
}

/** A check that ran and failed: corrupt checksum, refused deploy, failed audit (exit 1). */
export class CheckFailedError extends RigorError {
  constructor(message: string, opts: {fix?: string; cause?: unknown} = {}) {
    super(message, {exitCode: EXIT.failure, ...opts})
  }
}

/** A file whose checksum does not match its content. */
export class CorruptFileError extends CheckFailedError {
  readonly file: string
  readonly expected: string
  readonly actual: string
  constructor(file: string, expected: string, actual: string) {
    super(`${file}: checksum mismatch (expected ${expected}, actual ${actual})`, {
      // the file rigor read is the committed one: `git checkout -- <file>` would put the same bytes back
      fix: `put back what rigor last wrote there: rigor verify names the commit that holds it (git checkout <commit> -- ${file}, then commit); never edit state files by hand`,
    })
    this.file = file
    this.expected = expected
    this.actual = actual
  }
}

/** Nothing to do, e.g. no claimable node (exit 3). */
export class NothingToDoError extends RigorError {
  readonly reason: string
  constructor(message: string, reason: string, fix?: string) {
    super(message, {exitCode: EXIT.nothingToDo, fix})
    this.reason = reason
  }
}

/** A git command failed in a way rigor cannot decide for the user (exit 1). */
export class GitFailedError extends RigorError {
  constructor(message: string, fix = 'run the git command shown yourself to see why; `git fsck` checks the repository') {
    super(message, {exitCode: EXIT.failure, fix})
  }
}

/**
 * The remote holding the state cannot be reached (gone, a dropped connection, a host that does not answer): no
 * verdict on the state, and a long-lived worker may wait for it to come back (exit 1 otherwise).
 */
export class RemoteUnreachableError extends GitFailedError {}

/**
 * The remote branch no longer contains the state this clone last fetched (a force-push, a reset). `tip` is the
 * rewound tip, when its commits could be fetched: what the remote holds now (which claims the rewind dropped).
 */
export class RemoteRewoundError extends GitFailedError {
  constructor(
    message: string,
    fix: string,
    readonly tip?: string,
  ) {
    super(message, fix)
  }
}

/** An object the state needs is not in the repository (a partial clone, a pruned object, a damaged .git). */
export class MissingObjectError extends RigorError {
  constructor(what: string) {
    super(`${what} is missing from the object store`, {
      exitCode: EXIT.failure,
      fix: 'fetch the state branch again (git fetch), or check the repository with `git fsck`',
    })
  }
}

/** Something rigor itself got wrong: never the user's input. Exit 1, and the message asks for a report. */
export class InternalError extends RigorError {
  constructor(message: string) {
    super(`internal error: ${message}`, {
      exitCode: EXIT.failure,
      fix: 'this is a bug in rigor: report it with the command you ran and this message',
    })
  }
}

/** git could not take a ref's lock file: another git process holds it, or one crashed and left it. */
export class RefLockedError extends Error {
  constructor(readonly lockFile: string) {
    super(`${lockFile} exists`)
  }
}

/** Another writer moved the branch first; the caller rebuilds its change on the new tip. */
export class RefConflictError extends Error {
  constructor(readonly ref: string) {
    super(`${ref} moved while writing`)
  }
}

/**
 * An error rigor did not raise on purpose (a bare Error, a failed git call, a bug).
 * It still leaves through the one exit-code table above (exit 1) and says what to do.
 */
export class UnexpectedError extends RigorError {
  constructor(cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause)
    super(message, {
      exitCode: EXIT.failure,
      cause,
      fix: 'if the message does not say what to change, run again with DEBUG=rigor to print the stack, and report it',
    })
  }
}

/** Every error as a RigorError: rigor's own as they are, anything else as an UnexpectedError (exit 1). */
export function asRigorError(err: unknown): RigorError {
  return err instanceof RigorError ? err : new UnexpectedError(err)
}
