import {resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {commandLineBase, withWorkspace, workerName} from '../cli/workspace.js'
import {nowIso} from '../core/state/node-files.js'
import {defaultSeederName} from '../core/state/workspace.js'
import {nodesOfSpec, readSeedSpec, seedNodes, type SeedResult} from '../core/dag/seed.js'

export default class Seed extends WorkspaceCommand {
  static override summary = 'Add the nodes of a seed spec (single nodes and sweeps); seeding twice adds nothing.'
  static override examples = ['<%= config.bin %> seed templates/seed.example.yaml']
  static override args = {spec: Args.string({description: 'seed spec YAML file', required: true})}
  static override flags = {
    by: Flags.string({description: 'who seeds (recorded as seeded_by; default: $RIGOR_WORKER, else your user name)'}),
  }

  async run(): Promise<SeedResult> {
    const {args, flags} = await this.parse(Seed)
    const specPath = resolve(commandLineBase(flags), args.spec)
    const spec = await readSeedSpec(specPath, args.spec)
    return withWorkspace(
      flags,
      async (ws) => {
        const drafts = nodesOfSpec(spec, {
          seededBy: workerName(flags.by ?? (process.env.RIGOR_WORKER ? undefined : defaultSeederName()), '--by'),
          createdAt: nowIso(),
          file: args.spec,
        })
        const result = await seedNodes(ws, drafts, {file: args.spec})
        this.say(`Seeded ${result.added.length} new node(s); ${result.existing.length} already existed.`)
        return result
      },
      {configDraft: true},
    )
  }
}
