import {Args, Errors, Flags, loadHelpClass} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {InputError} from '../core/errors.js'

/**
 * `rigor help [COMMAND]`: oclif's own help, as @oclif/plugin-help shows it.
 * A command of rigor's rather than a plugin, so that no command's start-up
 * pays for finding and reading a plugin (and the package one less dependency).
 * A RigorCommand (without --json, as its output is for a person), so that a bad
 * flag or an unknown command is bad usage, exit 2, like everywhere else: oclif's
 * own handling of a bad flag showed help for the words given, and when they named
 * no command that failed again, exit 1 with a stack trace.
 */
export default class Help extends RigorCommand {
  static override summary = 'Help for rigor, or for one command.'
  static override args = {command: Args.string({description: 'the command to show help for', required: false})}
  static override flags = {'nested-commands': Flags.boolean({char: 'n', description: 'list the commands of every topic too'})}
  static override enableJsonFlag = false
  // `rigor help stats dsr`: the command's words arrive as several arguments
  static override strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    try {
      await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
    } catch (err) {
      // "Command x not found.": oclif's help knows no such command or topic
      if (err instanceof Errors.CLIError && !(err instanceof Errors.ExitError))
        throw new InputError(`"${(argv as string[]).join(' ')}" is not a rigor command`, {fix: '`rigor help` lists every command'})
      throw err
    }
  }
}
