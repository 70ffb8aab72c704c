import {parseYaml, validate} from './documents.js'
import {InputError} from '../errors.js'
import {ConfigFile} from '../schemas/index.js'
import {quoted} from '../validation.js'

export function parseConfig(text: string, file: string): ConfigFile {
  const config = validate(ConfigFile, parseYaml(text, file), file)
  const teams = new Set(config.teams.map((t) => t.name))
  if (teams.size !== config.teams.length)
    throw new InputError('team names must be unique', {file, field: 'teams', fix: 'remove the duplicate team'})
  const rules = new Set(config.rules.map((r) => r.name))
  if (rules.size !== config.rules.length)
    throw new InputError('rule names must be unique', {file, field: 'rules', fix: 'rename the duplicate rule'})
  const known = [...teams].join(', ') || '(none)'
  const checkTeam = (team: string | undefined, field: string) => {
    if (team !== undefined && teams.size > 0 && !teams.has(team)) {
      throw new InputError(`team ${quoted(team)} is not one of the teams: ${known}`, {
        file,
        field,
        fix: `add {name: ${quoted(team)}} to teams, or use one of: ${known}`,
      })
    }
  }
  config.rules.forEach((rule, i) => {
    rule.spawn.forEach((spawn, j) => checkTeam(spawn.team, `rules[${i}].spawn[${j}].team`))
    rule.teams?.forEach((team, j) => checkTeam(team, `rules[${i}].teams[${j}]`))
  })
  config.gates.forEach((gate, i) => gate.teams?.forEach((team, j) => checkTeam(team, `gates[${i}].teams[${j}]`)))
  return config
}
