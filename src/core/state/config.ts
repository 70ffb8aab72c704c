import {parseYaml, validate} from './documents.js'
import {InputError} from '../errors.js'
import {ConfigFile} from '../schemas/index.js'
import {MAX_ID_SEGMENT_LENGTH, nodeIdProblem, quoted} from '../validation.js'

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
    const spawnIds = new Map<string, number>()
    rule.spawn.forEach((spawn, j) => {
      checkTeam(spawn.team, `rules[${i}].spawn[${j}].team`)
      // one source, one id: the later of two spawns named alike would always find the earlier's node there
      const earlier = spawnIds.get(`${spawn.as} ${spawn.name}`)
      if (earlier !== undefined)
        throw new InputError(
          `spawn ${quoted(spawn.name)} (as ${spawn.as}) is also rules[${i}].spawn[${earlier}]: both would make the same node id, so this one would never spawn`,
          {file, field: `rules[${i}].spawn[${j}].name`, fix: 'give each spawn of a rule its own name'},
        )
      spawnIds.set(`${spawn.as} ${spawn.name}`, j)
      const problem = spawnNameProblem(spawn)
      if (problem)
        throw new InputError(`spawn name ${quoted(spawn.name)} cannot end a node id, so the rule would never spawn: ${problem}`, {
          file,
          field: `rules[${i}].spawn[${j}].name`,
          fix: 'choose another name: lowercase letters, digits, ".", "_", "-", not a name of rigor\'s own files (out, node.yaml, verdict.yaml)',
        })
      // its node would run what its source ran (the same fingerprint), and rigor never spawns a duplicate
      if (Object.keys(spawn.params).length === 0 && spawn.run === undefined)
        throw new InputError(
          `spawn ${quoted(spawn.name)} changes neither params nor run, so its node would be its source run again (the same fingerprint): the rule would never spawn`,
          {
            file,
            field: `rules[${i}].spawn[${j}]`,
            fix: 'give it the params it changes (params: {lookback: 60}) or a run; to run a node again as it was, use rigor rerun <id>',
          },
        )
    })
    rule.teams?.forEach((team, j) => checkTeam(team, `rules[${i}].teams[${j}]`))
  })
  config.gates.forEach((gate, i) => gate.teams?.forEach((team, j) => checkTeam(team, `gates[${i}].teams[${j}]`)))
  return config
}

/**
 * Why no node could be spawned under this name, or undefined. A child's id ends in the name itself; a sibling's in
 * `<source>-<name>` (rules.ts, spawnId), whose prefix makes a reserved name such as `out` a plain segment.
 */
function spawnNameProblem(spawn: {as: 'child' | 'sibling'; name: string}): string | undefined {
  if (spawn.as === 'child') return nodeIdProblem(spawn.name)
  return spawn.name.endsWith('.lock') || spawn.name.length > MAX_ID_SEGMENT_LENGTH ? nodeIdProblem(spawn.name) : undefined
}
