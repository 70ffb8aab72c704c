import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'
import {expect} from 'vitest'
import {outputSchemaPath} from '../../src/cli/schemas/generate.js'
import {json, type CliResult} from './cli.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const ajv = new Ajv2020({strict: false, allErrors: true})
const validators = new Map<string, ValidateFunction>()

/** A command's --json output, checked against its committed schema in schemas/output/ (`rigor cycle list` -> cycle-list). */
export function checkedOutput(command: string, result: CliResult): any {
  const value = json(result)
  expectOutput(command, value)
  return value
}

/** Checks `value` against the committed output schema of `command`. */
export function expectOutput(command: string, value: unknown): void {
  let validate = validators.get(command)
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, outputSchemaPath(command)), 'utf8')))
    validators.set(command, validate)
  }
  expect(validate(value), `${command}: ${ajv.errorsText(validate.errors)}`).toBe(true)
}
