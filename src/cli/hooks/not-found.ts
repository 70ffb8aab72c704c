import {Errors, type Hook} from '@oclif/core'
import {EXIT, InputError} from '../../core/errors.js'
import {quoted} from '../../core/validation.js'
import {colorOn, red} from '../color.js'
import {suggestCommands} from '../did-you-mean.js'

/** `rigor stauts`: bad usage (exit 2), with the closest commands and how to list them all. */
const hook: Hook<'command_not_found'> = async (opts) => {
  const known = [...opts.config.commandIDs, ...opts.config.topics.map((t) => t.name)].map((id) => id.replace(/:/g, ' '))
  const typed = opts.id.replace(/:/g, ' ')
  const suggestions = suggestCommands(typed, [...new Set(known)])
  // `rigor status foo`: a command and a word it does not take (oclif joins them into one id), not a mistyped command
  const commands = opts.config.commandIDs.map((id) => id.replace(/:/g, ' '))
  const command = commands.filter((id) => typed.startsWith(`${id} `)).sort((a, b) => b.length - a.length)[0]
  const error = command
    ? new InputError(`rigor ${command} takes no argument ${quoted(typed.slice(command.length + 1).split(' ')[0]!)}`, {
        fix: `see \`rigor ${command} --help\``,
      })
    : new InputError(
        `"${typed}" is not a rigor command${suggestions.length ? `. Did you mean ${suggestions.map((s) => `\`rigor ${s}\``).join(' or ')}?` : ''}`,
        {
          fix: '`rigor help` lists every command',
        },
      )
  // asked for JSON: the error as every command prints it there (no command was found to ask)
  if ((opts.argv ?? []).includes('--json') || process.argv.slice(2).includes('--json'))
    process.stdout.write(
      `${JSON.stringify({error: {type: error.name, message: error.message, fix: error.fix, exit: error.exitCode}}, null, 2)}\n`,
    )
  else {
    const label = colorOn(process.stderr) ? red('Error:') : 'Error:'
    process.stderr.write(`${label} ${error.report}\n`)
  }
  // an ExitError leaves with its code and prints nothing more
  throw new Errors.ExitError(EXIT.usage)
}

export default hook
