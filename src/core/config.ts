import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {parseYaml, validate} from './documents.js'
import {InputError} from './errors.js'
import {CONFIG_FILE} from './paths.js'
import {ConfigFile} from './schemas/index.js'

/**
 * Reads rigor.yaml from the working tree (what the user is editing now), or from
 * the state branch when the working tree has none, and validates it.
 */
export async function loadConfig(root: string, fromBranch?: () => Promise<string | undefined>): Promise<ConfigFile> {
  let text: string | undefined
  try {
    text = await readFile(join(root, CONFIG_FILE), 'utf8')
  } catch {
    text = await fromBranch?.()
  }
  if (text === undefined) {
    throw new InputError(`no ${CONFIG_FILE} in ${root}: this is not a rigor workspace`, {fix: 'run `rigor init` first, or pass --cwd with a workspace'})
  }
  return parseConfig(text, CONFIG_FILE)
}

export function parseConfig(text: string, file: string): ConfigFile {
  const config = validate(ConfigFile, parseYaml(text, file), file)
  const teams = new Set(config.teams.map((t) => t.name))
  if (teams.size !== config.teams.length) throw new InputError('team names must be unique', {file, field: 'teams', fix: 'remove the duplicate team'})
  const rules = new Set(config.rules.map((r) => r.name))
  if (rules.size !== config.rules.length) throw new InputError('rule names must be unique', {file, field: 'rules', fix: 'rename the duplicate rule'})
  return config
}
