import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {claimNextNode} from '../../../src/core/dag/claims.js'
import {nodesOfSpec, seedNodes} from '../../../src/core/dag/seed.js'
import {InputError} from '../../../src/core/errors.js'
import {initWorkspace} from '../../../src/core/flows/init.js'
import {policies} from '../../../src/core/flows/policies.js'
import {SeedSpec} from '../../../src/core/schemas/index.js'
import {Workspace} from '../../../src/core/state/workspace.js'
import {gitRepo, type TempRepo} from '../../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe('a long-running command whose state branch rigor.yaml moves elsewhere', () => {
  it('stops at its next change with the field and the fix, instead of going on with the state on the old branch', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      const spec = SeedSpec.parse({nodes: [{id: 'x/a', team: 'default', run: {command: ['true']}}]})
      // seeded by another command, which brings the checkout along as it ends
      const seeder = await Workspace.open(repo.dir)
      await seedNodes(seeder, nodesOfSpec(spec, {createdAt: new Date().toISOString()}), {file: 'spec.yaml'})
      await seeder.close()
      // someone commits a rigor.yaml that puts the state on another branch, while this process runs
      const file = join(repo.dir, 'rigor.yaml')
      writeFileSync(file, `${readFileSync(file, 'utf8')}branch: research\n`)
      repo.git('commit', '-qam', 'the state moves to research')
      const claim = claimNextNode(ws, {worker: 'w', admission: policies.admission})
      await expect(claim).rejects.toThrow(InputError)
      await expect(claim).rejects.toMatchObject({field: 'branch'})
      await expect(claim).rejects.toThrow(/now names research as the state branch, while this command keeps the state on main/)
      // nothing was claimed on the old branch
      expect(repo.git('show', 'main:experiments/x/a/node.yaml')).toMatch(/status: pending/)
      // a config that names its own branch is this branch's: no change of place
      writeFileSync(file, readFileSync(file, 'utf8').replace('branch: research', 'branch: main'))
      repo.git('commit', '-qam', 'back on main, said so')
      expect((await claimNextNode(ws, {worker: 'w', admission: policies.admission})).claimed?.id).toBe('x/a')
    } finally {
      await ws.close()
    }
  }, 60_000)
})
