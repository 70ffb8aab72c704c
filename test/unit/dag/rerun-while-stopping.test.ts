import {afterEach, describe, expect, it} from 'vitest'
import {cancelNode} from '../../../src/core/dag/cancel.js'
import {claimNextNode} from '../../../src/core/dag/claims.js'
import {executeClaimedNode} from '../../../src/core/dag/execute.js'
import {rerunNode} from '../../../src/core/dag/rerun.js'
import {nodesOfSpec, seedNodes} from '../../../src/core/dag/seed.js'
import {initWorkspace} from '../../../src/core/flows/init.js'
import {policies} from '../../../src/core/flows/policies.js'
import {SeedSpec} from '../../../src/core/schemas/index.js'
import {Workspace} from '../../../src/core/state/workspace.js'
import {gitRepo, type TempRepo} from '../../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe('a node cancelled while it runs, rerun and claimed again by the same worker before the cancel is recorded', () => {
  it('the stopped run’s verdict does not land on the new claim, which runs on', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    // the worker that runs the node, and the user's commands beside it
    const worker = await Workspace.open(repo.dir)
    const user = await Workspace.open(repo.dir)
    try {
      const spec = SeedSpec.parse({
        nodes: [{id: 'x/slow', team: 'default', run: {command: ['node', '-e', 'setTimeout(() => {}, 600000)'], sandbox: 'off'}}],
      })
      await seedNodes(user, nodesOfSpec(spec, {createdAt: new Date().toISOString()}), {file: 'spec.yaml'})
      const first = await claimNextNode(worker, {worker: 'w', admission: policies.admission})
      expect(first.claimed?.attempt).toBe(1)
      // the stopped run's verdict is held until the node has been claimed again (a runner slow to die gives that time)
      let claimedAgain!: () => void
      const again = new Promise<void>((resolve) => (claimedAgain = resolve))
      const commit = worker.commit.bind(worker)
      worker.commit = (async (plan, opts = {}) => {
        if (opts.batch === true && !opts.urgent) await again
        return commit(plan, opts)
      }) as Workspace['commit']
      let started!: () => void
      const running = new Promise<void>((resolve) => (started = resolve))
      let ended!: () => void
      const stopped = new Promise<void>((resolve) => (ended = resolve))
      const outcome = executeClaimedNode(worker, first.claimed!, {worker: 'w', pollMs: 50, onProcessStart: started, onProcessEnd: ended})
      await running
      await cancelNode(user, 'x/slow', {by: 'me'})
      await stopped
      await rerunNode(user, 'x/slow', {by: 'me'})
      const second = await claimNextNode(user, {worker: 'w', admission: policies.admission})
      // the same worker and the same attempt number: the rerun counts attempts from zero again
      expect(second.claimed).toMatchObject({attempt: 1, worker: 'w'})
      claimedAgain()
      expect((await outcome).kind).toBe('lost')
      const node = (await user.currentSnapshot()).nodes.get('x/slow')!
      expect(node.node).toMatchObject({status: 'running', worker: 'w', started_at: second.claimed!.started_at})
      expect(node.verdictOid).toBeUndefined()
    } finally {
      await worker.close()
      await user.close()
    }
  }, 60_000)
})
