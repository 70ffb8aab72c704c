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

/** The words of one shell command line: quotes kept together, the rest split on blanks (enough for help examples). */
function words(line: string): string[] {
  return [...line.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((m) => m[0].replace(/^(["'])(.*)\1$/, '$2'))
}

describe('the examples of every command help', () => {
  it('name commands of rigor and only their flags, with values the flags take', async () => {
    const config = await Config.load({root: ROOT})
    const ours = config.commands.filter((c) => c.pluginName === config.name)
    const ids = ours.map((c) => c.id.replace(/:/g, ' ')).sort((a, b) => b.length - a.length)
    let checked = 0
    for (const c of ours) {
      for (const example of c.examples ?? []) {
        const text = (typeof example === 'string' ? example : example.command).replaceAll('<%= config.bin %>', config.bin)
        // each rigor invocation up to the shell operator that ends it (a pipe, a redirection, &&, a closing $( )
        for (const [, invocation] of text.matchAll(/(?:^|[\s(])rigor ([^|&;<>)]*)/g)) {
          const argv = words(invocation)
          const id = ids.find((i) => argv.slice(0, i.split(' ').length).join(' ') === i)
          expect(id, `${c.id}: ${text}`).toBeDefined()
          const command = ours.find((o) => o.id === id!.replace(/ /g, ':'))!
          const rest = argv.slice(id!.split(' ').length)
          for (let i = 0; i < rest.length; i++) {
            const word = rest[i]
            if (!word.startsWith('-')) continue
            const [name, inline] = word.startsWith('--') ? word.slice(2).split(/=(.*)/s) : [word.slice(1)]
            const flag = word.startsWith('--') ? command.flags[name] : Object.values(command.flags).find((f) => f.char === name)
            expect(flag, `${c.id}: ${text}: ${word}`).toBeDefined()
            if (flag!.type !== 'option') continue
            const value = inline ?? rest[++i]
            expect(value, `${c.id}: ${text}: ${word} takes a value`).toBeDefined()
            if (flag!.options) expect(flag!.options, `${c.id}: ${text}: ${word}`).toContain(value)
          }
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(80)
  })

  it('install completion the way the help describes: a source line that runs rigor at each start, not a copy an upgrade leaves stale', async () => {
    const config = await Config.load({root: ROOT})
    const completion = config.commands.find((c) => c.id === 'completion')!
    for (const example of completion.examples ?? []) {
      const text = typeof example === 'string' ? example : example.command
      expect(text).not.toMatch(/completion \w+\s*>>/)
    }
  })
})
