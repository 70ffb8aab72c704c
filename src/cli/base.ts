import {Command, Errors, type Interfaces} from '@oclif/core'
import {asRigorError, InputError, NothingToDoError, RigorError} from '../core/errors.js'
import {closestNames, linesEscaped} from '../core/validation.js'
import {colorOn, red} from './color.js'
import {cwdFlag, emptyValueError, FlagValueError, remoteFlag, undecodablePathError} from './flags.js'
import type {Attributes, Telemetry} from '../core/telemetry/telemetry.js'
import {withTelemetry} from './telemetry.js'

// oclif's own shapes of parsed flags and args, which its public index does not re-export
type FlagOutput = {[name: string]: any}
type ArgOutput = {[name: string]: any}

/**
 * Every rigor command: `--json` (the typed return of run() is the JSON contract)
 * and one place that turns errors into messages and exit codes. The codes
 * themselves are decided in src/core/errors.ts: whatever the command throws
 * leaves as a RigorError (an unknown error as UnexpectedError, exit 1), and
 * anything oclif throws while parsing the command line is bad usage (exit 2).
 */
export abstract class RigorCommand extends Command {
  static override enableJsonFlag = true

  /**
   * A warning, its control characters escaped: a warning quotes what is on the branch (a file's
   * path or lines, a commit's subject), and anyone's commit could put an escape sequence there.
   */
  override warn(input: string | Error): string | Error {
    return super.warn(typeof input === 'string' ? linesEscaped(input) : input)
  }

  /** A line for humans; suppressed under --json. */
  protected say(message = ''): void {
    if (!this.jsonEnabled()) this.log(message)
  }

  /**
   * Runs `fn` inside the command's root span when OTEL_EXPORTER_OTLP_ENDPOINT is
   * set (see cli/telemetry.ts); otherwise with a telemetry that does nothing.
   * `stopsCleanly`: the command handles SIGINT and SIGTERM itself (withAbort).
   */
  protected traced<T>(attributes: Attributes, fn: (telemetry: Telemetry) => Promise<T>, opts: {stopsCleanly?: boolean} = {}): Promise<T> {
    return withTelemetry({id: this.id ?? 'rigor', version: this.config.version}, attributes, fn, opts)
  }

  /** Parsing is where every usage error arises, so it is told apart here, by where it was thrown rather than by its message. */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const empty = emptyValueError(argv ?? this.argv, {...this.ctor.baseFlags, ...(options?.flags ?? this.ctor.flags)} as never)
    if (empty) throw empty
    const undecodable = undecodablePathError(process.cwd(), 'the current folder')
    if (undecodable) throw undecodable
    try {
      return await super.parse(options, argv)
    } catch (err) {
      throw usageError(err, this.id)
    }
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    // this.exit() and oclif's own exits keep their code
    if (err instanceof Errors.ExitError) return super.catch(err)
    const error = asRigorError(err)
    if (this.jsonEnabled()) {
      // exit 3 says why there was nothing to do (empty, blocked, budget_exhausted, ...) as a field a script branches on
      const reason = error instanceof NothingToDoError ? {reason: error.reason} : {}
      this.logJson({error: {type: error.name, message: error.message, fix: error.fix, exit: error.exitCode, ...reason}})
    } else {
      // printed whole, never wrapped at the terminal's width: a message is searched and copied as it is
      const label = colorOn(process.stderr) ? red('Error:') : 'Error:'
      // the message may quote a file or a value from the branch: its controls are escaped, as a warning's are
      process.stderr.write(`${label} ${linesEscaped(error.report)}\n`)
      if (process.env.DEBUG && err.stack) process.stderr.write(`${err.stack}\n`)
    }
    process.exitCode = error.exitCode
    return undefined
  }
}

/** A command that works on a workspace: `--cwd` says which, `--remote` where its shared state lives. */
export abstract class WorkspaceCommand extends RigorCommand {
  static override baseFlags = {cwd: cwdFlag, remote: remoteFlag}
}

/** An error thrown while parsing the command line, as the InputError (exit 2) it is. */
export function usageError(err: unknown, commandId: string | undefined): RigorError {
  if (err instanceof FlagValueError) return err.plain()
  if (err instanceof RigorError) return err
  const message = err instanceof Error ? err.message : String(err)
  // oclif's layout ("Parsing --x \n\t<why>\nSee more help with --help") becomes one line, its pointer to --help the fix
  const text = flagRulesText(
    message
      .replace(/^Parsing (--\S+)\s*\n\t/, '$1: ')
      .replace(/\s*See more help with --help\s*$/, '')
      .trim(),
  )
  const help = `see \`rigor ${commandId ? `${commandId.replace(/:/g, ' ')} ` : ''}--help\``
  const guesses = flagGuesses(err)
  return new InputError(text, {fix: guesses.length ? `did you mean ${guesses.join(' or ')}? (${help})` : help})
}

/**
 * oclif's list of broken flag rules ("The following error occurred:\n  Missing required flag auditor", both
 * halves of an exclusive pair, "--cron=true cannot also be provided when using --systemd") as one line that
 * names each flag as it is typed: "--auditor is required", "--cron and --systemd cannot be given together".
 */
function flagRulesText(text: string): string {
  const list = /^The following errors? occurred:\s*\n([\s\S]*)$/.exec(text)
  if (!list) return text
  const said = new Set<string>()
  for (const raw of list[1].replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    const line = raw.trim()
    if (!line) continue
    const missing = /^Missing required flag (\S+)$/.exec(line)
    const exclusive = /^(--[\w-]+)(?:=\S*)? cannot also be provided when using (--[\w-]+)(?:=\S*)?$/.exec(line)
    const needs = /^All of the following must be provided when using (--[\w-]+): (.+)$/.exec(line)
    if (missing) said.add(`--${missing[1]} is required`)
    else if (exclusive) said.add(`${[exclusive[1], exclusive[2]].sort().join(' and ')} cannot be given together`)
    else if (needs) said.add(`${needs[1]} needs ${needs[2]}`)
    else said.add(line)
  }
  return [...said].join('; ')
}

/** For oclif's "Nonexistent flag: --paralel", the command's flags closest to each one typed (`--parallel`). */
function flagGuesses(err: unknown): string[] {
  const {flags: typed, parse} = err as {flags?: unknown; parse?: {input?: {flags?: Record<string, unknown>}}}
  const known = Object.keys(parse?.input?.flags ?? {})
  if (!Array.isArray(typed) || known.length === 0) return []
  return typed.flatMap((flag) =>
    typeof flag === 'string' ? closestNames(flag.replace(/^-+/, '').replace(/=.*$/, ''), known, 2).map((name) => `--${name}`) : [],
  )
}
