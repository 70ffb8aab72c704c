import {afterEach, describe, expect, it} from 'vitest'
import type {RunnerLauncher} from '../../src/core/dag/launcher.js'
import {nodesOfSpec, seedNodes} from '../../src/core/dag/seed.js'
import {initWorkspace} from '../../src/core/flows/init.js'
import {policies} from '../../src/core/flows/policies.js'
import {runWorkLoop} from '../../src/core/flows/worker.js'
import {SeedSpec} from '../../src/core/schemas/index.js'
import {Workspace} from '../../src/core/state/workspace.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe('a work loop that fails with an unexpected error', () => {
  it('puts back the claim of the run that threw: no node is left running under its worker', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      const spec = SeedSpec.parse({nodes: [{id: 'a/one', team: 'default', run: {command: ['true'], sandbox: 'off'}}]})
      await seedNodes(ws, nodesOfSpec(spec, {createdAt: new Date().toISOString()}), {file: 'spec.yaml'})
      // a bug anywhere between the claim and the verdict looks like this to the loop
      const launcher: RunnerLauncher = {
        launch: () => {
          throw new Error('launcher broke')
        },
      }
      await expect(runWorkLoop(ws, {worker: 'w1', parallel: 1, admission: policies.admission, launcher})).rejects.toThrow('launcher broke')
      const node = (await ws.currentSnapshot()).nodes.get('a/one')?.node
      expect(node?.status).toBe('pending')
      expect(node?.worker).toBeUndefined()
      expect(repo.git('log', '-1', '--format=%s')).toContain('release a/one')
    } finally {
      await ws.close()
    }
  })
})
