import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'
import {expect} from 'vitest'
import {outputSchemaPath} from '../../src/cli/schemas/generate.js'
import {rigor, type CliResult} from '../helpers/cli.js'

/**
 * Shared by the two --json output files (json-output.test.ts, json-output-kits.test.ts): each runs commands through
 * `checked`, which validates the output against the committed schema in schemas/output/ and records the command as
 * covered in that file's own set.
 */

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The kits' commands: json-output-kits.test.ts checks them (and its last test that it covered exactly these), so
 * json-output.test.ts counts them as checked elsewhere. They need no workspace, only files.
 */
export const KIT_COMMANDS = ['backtest', 'data generate', 'stats dsr', 'stats mintrl', 'stats pbo', 'stats psr', 'stats sharpe'] as const

/** Validates outputs against the committed schemas and remembers which commands it saw. */
export class OutputChecker {
  private readonly ajv = new Ajv2020({strict: false, allErrors: true})
  private readonly validators = new Map<string, ValidateFunction>()
  readonly covered = new Set<string>()

  /** Runs `rigor <args> --json`, checks its exit code and its output against the command's schema. */
  checked(command: string, dir: string, args: string[], opts: {code?: number; env?: Record<string, string>} = {}): any {
    const result: CliResult = rigor(dir, [...args, '--json'], opts.env)
    expect(result.code, `${args.join(' ')}: ${result.stderr}${result.stdout}`).toBe(opts.code ?? 0)
    if (command === 'log') {
      const lines = result.stdout.trim().split('\n').filter(Boolean)
      expect(lines.length).toBeGreaterThan(0)
      for (const line of lines) this.expectValid('log', JSON.parse(line))
      this.covered.add(command)
      return lines.map((l) => JSON.parse(l))
    }
    const value = JSON.parse(result.stdout)
    this.expectValid(opts.code ? 'error' : command, value)
    this.covered.add(opts.code ? 'error' : command)
    return value
  }

  private expectValid(command: string, value: unknown): void {
    const validate = this.schemaFor(command)
    expect(validate(value), `${command}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(value, null, 2).slice(0, 2000)}`).toBe(
      true,
    )
  }

  private schemaFor(command: string): ValidateFunction {
    let validate = this.validators.get(command)
    if (!validate) {
      validate = this.ajv.compile(JSON.parse(readFileSync(join(ROOT, outputSchemaPath(command)), 'utf8')))
      this.validators.set(command, validate)
    }
    return validate
  }
}
