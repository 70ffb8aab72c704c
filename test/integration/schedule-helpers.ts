import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv2020} from 'ajv/dist/2020.js'
import {expect} from 'vitest'
import {outputSchemaPath} from '../../src/cli/schemas/generate.js'
import {rigor, type CliResult} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'

/**
 * For the `rigor schedule` tests. HOME is a temporary directory: nothing
 * reaches the real user's units or crontab, and systemctl is never asked to
 * change anything.
 */

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const ajv = new Ajv2020({strict: false, allErrors: true})

/** Whether `value` fits the committed schema of `command`'s --json output; the errors when not. */
export function fitsSchema(command: string, value: unknown): string | undefined {
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, outputSchemaPath(command)), 'utf8')))
  return validate(value) ? undefined : ajv.errorsText(validate.errors)
}

/** A workspace whose path holds a space, a quote and a % (or is `name`), inside `scratch`, and a HOME of its own. */
export function scheduleWorkspace(scratch: string, name = "my lab's 100% work"): {dir: string; home: string; env: Record<string, string>} {
  const dir = join(scratch, name)
  const home = join(scratch, 'home')
  mkdirSync(dir)
  mkdirSync(home)
  const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, env: {...process.env, ...GIT_ENV}})
  git('init', '-q', '-b', 'main')
  git('config', 'user.name', 'Rigor Test')
  git('config', 'user.email', 'test@rigor.invalid')
  expect(rigor(dir, ['init']).code).toBe(0)
  return {dir, home, env: {HOME: home, XDG_CONFIG_HOME: ''}}
}

export const scratchDir = (): string => mkdtempSync(join(tmpdir(), 'rigor-schedule-'))

/** Runs a schedule command under --json, expects exit 0 and checks its output against its committed schema. */
export function checked(command: string, dir: string, args: string[], env: Record<string, string>): any {
  const result: CliResult = rigor(dir, [...command.split(' '), ...args, '--json'], env)
  expect(result.code, `${command} ${args.join(' ')}: ${result.stderr}${result.stdout}`).toBe(0)
  const value = JSON.parse(result.stdout)
  expect(fitsSchema(command, value)).toBeUndefined()
  return value
}

/** An executable shell script at `path`. */
export function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}`)
  chmodSync(path, 0o755)
  return path
}
