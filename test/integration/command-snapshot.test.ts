import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'
import {describe, expect, it} from 'vitest'

/**
 * Every command's flags and arguments, read from the oclif manifest of the
 * build, against test/snapshots/commands.json: a renamed, added or removed flag
 * or argument is a visible diff in review. After a deliberate change, update
 * the snapshot with `npx vitest run test/integration/command-snapshot.test.ts -u`.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')

function describeFlag(flag: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      type: flag.type,
      value: flag.helpValue,
      char: flag.char,
      required: flag.required || undefined,
      multiple: flag.multiple || undefined,
      options: flag.options,
      default: flag.default,
      env: flag.env,
      group: flag.helpGroup,
      dependsOn: flag.dependsOn,
      exclusive: flag.exclusive,
      hidden: flag.hidden || undefined,
    }).filter(([, v]) => v !== undefined),
  )
}

describe('the command line interface', () => {
  it('every command with its arguments and flags matches test/snapshots/commands.json', async () => {
    const config = await Config.load({root: ROOT})
    const commands = Object.fromEntries(
      config.commands
        .filter((c) => c.pluginName === config.name)
        .map((c) => [
          c.id.replace(/:/g, ' '),
          {
            args: Object.fromEntries(Object.entries(c.args).map(([name, a]) => [name, describeFlag({...a, type: 'arg'})])),
            flags: Object.fromEntries(
              Object.entries(c.flags)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([name, f]) => [name, describeFlag(f)]),
            ),
          },
        ])
        .sort(([a], [b]) => (a as string).localeCompare(b as string)),
    )
    await expect(`${JSON.stringify(commands, null, 2)}\n`).toMatchFileSnapshot('../snapshots/commands.json')
  })

  it('workspace flags only where a workspace is opened', async () => {
    const config = await Config.load({root: ROOT})
    for (const c of config.commands.filter((c) => c.pluginName === config.name)) {
      const kit = /^(stats|backtest|data|demo|completion|help)\b/.test(c.id)
      expect('remote' in c.flags, c.id).toBe(!kit && c.id !== 'init')
      expect('cwd' in c.flags, c.id).toBe(!kit)
    }
  })
})
