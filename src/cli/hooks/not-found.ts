import {Errors, type Hook} from '@oclif/core'
import {EXIT, InputError} from '../../core/errors.js'
import {colorOn, red} from '../color.js'
import {suggestCommands} from '../did-you-mean.js'

/** `rigor stauts`: bad usage (exit 2), with the closest commands and how to list them all. */
const hook: Hook<'command_not_found'> = async (opts) => {
  const known = [...opts.config.commandIDs, ...opts.config.topics.map((t) => t.name)].map((id) => id.replace(/:/g, ' '))
  const typed = opts.id.replace(/:/g, ' ')
  const suggestions = suggestCommands(typed, [...new Set(known)])
  const error = new InputError(
    `"${typed}" is not a rigor command${suggestions.length ? `. Did you mean ${suggestions.map((s) => `\`rigor ${s}\``).join(' or ')}?` : ''}`,
    {
      fix: '`rigor help` lists every command',
    },
  )
  const label = colorOn(process.stderr) ? red('Error:') : 'Error:'
  process.stderr.write(`${label} ${error.report}\n`)
  // an ExitError leaves with its code and prints nothing more
  throw new Errors.ExitError(EXIT.usage)
}

export default hook
