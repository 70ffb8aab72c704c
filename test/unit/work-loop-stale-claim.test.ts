import {afterEach, describe, expect, it} from 'vitest'
import {nodesOfSpec, seedNodes} from '../../src/core/dag/seed.js'
import {initWorkspace} from '../../src/core/flows/init.js'
import {policies} from '../../src/core/flows/policies.js'
import {runWorkLoop} from '../../src/core/flows/worker.js'
import {SeedSpec} from '../../src/core/schemas/index.js'
import {Workspace} from '../../src/core/state/workspace.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

const accept = [
  'node',
  '-e',
  'require("fs").writeFileSync(process.env.RIGOR_OUT + "/verdict.json", \'{"metrics": {}, "status": "proven_accepted"}\')',
]

describe('a work loop whose claim was decided before the last verdict landed', () => {
  it('claims again rather than stop: the verdict made the next stage claimable', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      const run = {command: accept, sandbox: 'off' as const}
      const spec = SeedSpec.parse({
        nodes: [
          {id: 'p/train', team: 'default', run},
          {id: 'p/backtest', team: 'default', run, requires: ['p/train']},
        ],
      })
      await seedNodes(ws, nodesOfSpec(spec, {createdAt: new Date().toISOString()}), {file: 'spec.yaml'})
      // The interleaving a busy machine gives now and then, made certain: the slot's claim (urgent: it goes before a
      // verdict still queued) looks while p/train is still running and finds nothing; its answer reaches the slot only
      // after p/train's verdict has landed and its run has ended.
      const commit = ws.commit.bind(ws)
      let emptyClaimSeen!: () => void
      const emptyClaim = new Promise<void>((resolve) => (emptyClaimSeen = resolve))
      let verdictLanded!: () => void
      const verdict = new Promise<void>((resolve) => (verdictLanded = resolve))
      let held = false
      ws.commit = (async (plan, opts = {}) => {
        const isVerdict = opts.batch === true && !opts.urgent
        if (isVerdict) await emptyClaim
        const outcome = await commit(plan, opts)
        if (isVerdict) verdictLanded()
        const nothing = opts.urgent && (outcome.result as {claimed?: unknown}).claimed === undefined
        if (nothing && !held) {
          held = true
          emptyClaimSeen()
          await verdict
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        return outcome
      }) as Workspace['commit']
      const summary = await runWorkLoop(ws, {worker: 'w1', parallel: 1, admission: policies.admission})
      const backtest = (await ws.currentSnapshot()).nodes.get('p/backtest')?.node
      expect(backtest?.status, JSON.stringify(summary)).toBe('proven_accepted')
      expect(summary.finished).toBe(2)
    } finally {
      await ws.close()
    }
  }, 60_000)
})
