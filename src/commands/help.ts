import {Args, Command, Flags, loadHelpClass} from '@oclif/core'

/**
 * `rigor help [COMMAND]`: oclif's own help, as @oclif/plugin-help shows it.
 * A command of rigor's rather than a plugin, so that no command's start-up
 * pays for finding and reading a plugin (and the package one less dependency).
 */
export default class Help extends Command {
  static override summary = 'Help for rigor, or for one command.'
  static override args = {command: Args.string({description: 'the command to show help for', required: false})}
  static override flags = {'nested-commands': Flags.boolean({char: 'n', description: 'list the commands of every topic too'})}
  // `rigor help stats dsr`: the command's words arrive as several arguments
  static override strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
  }
}
