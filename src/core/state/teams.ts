import {InputError} from '../errors.js'
import type {ConfigFile} from '../schemas/index.js'
import {listedName, quoted} from '../validation.js'
import type {Snapshot} from './store.js'

/** The teams a `--team` flag may name: those of rigor.yaml, and those nodes of the DAG belong to. */
export function knownTeams(config: ConfigFile, snap: Snapshot): string[] {
  const teams = new Set(config.teams.map((t) => t.name))
  for (const record of snap.nodes.values()) if (record.node) teams.add(record.node.team)
  return [...teams].sort()
}

/** Refuses (exit 2) a `--team` that names no team, instead of answering "nothing claimable". */
export function assertKnownTeam(config: ConfigFile, snap: Snapshot, team: string | undefined, flag = '--team'): void {
  if (team === undefined) return
  const teams = knownTeams(config, snap)
  if (teams.includes(team)) return
  throw new InputError(`no team named ${quoted(team)}`, {
    field: flag,
    fix: teams.length ? `use one of: ${teams.map(listedName).join(', ')}` : 'no team exists yet: seed nodes first',
  })
}
