import {Command, Errors, Flags} from '@oclif/core'
import {RigorError} from '../core/errors.js'

/**
 * Every rigor command: `--json` (the typed return of run() is the JSON contract),
 * `--cwd`, and one place that turns rigor's errors into exit codes and messages.
 */
export abstract class RigorCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    cwd: Flags.directory({description: 'workspace directory (default: the current directory)', helpGroup: 'GLOBAL', exists: true}),
    remote: Flags.string({
      description: 'a git remote whose branch holds the shared state: every change is pushed there, a rejected push is a lost race (default: $RIGOR_REMOTE)',
      helpGroup: 'GLOBAL',
      env: 'RIGOR_REMOTE',
    }),
  }

  /** A line for humans; suppressed under --json. */
  protected say(message = ''): void {
    if (!this.jsonEnabled()) this.log(message)
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof RigorError) {
      if (this.jsonEnabled()) {
        this.logJson({error: {type: err.name, message: err.message, fix: err.fix, exit: err.exitCode}})
        process.exitCode = err.exitCode
        return undefined
      }
      // printed whole, never wrapped at the terminal's width: a message is searched and copied as it is
      const label = process.stderr.isTTY && !process.env.NO_COLOR ? '\u001b[31mError:\u001b[39m' : 'Error:'
      process.stderr.write(`${label} ${err.report}\n`)
      process.exitCode = err.exitCode
      return undefined
    }
    // oclif's own parse errors (unknown flag, missing argument, bad option) are usage errors: exit 2
    if (err instanceof Errors.CLIError && err.oclif?.exit !== 2 && isParseError(err)) err.oclif.exit = 2
    return super.catch(err)
  }
}

function isParseError(err: Error): boolean {
  return /Parse|Unexpected argument|Nonexistent flag|Missing \d+ required|Missing required|Expected .* to be one of|must be/.test(err.message) || err.constructor.name.endsWith('ParseError') || err.constructor.name.endsWith('FlagsError') || err.constructor.name.endsWith('ArgsError')
}
