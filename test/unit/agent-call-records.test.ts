import {afterEach, describe, expect, it, vi} from 'vitest'
import {agentSpend, recordAgentCall} from '../../src/core/dag/agent-calls.js'
import {initWorkspace} from '../../src/core/flows/init.js'
import {Workspace} from '../../src/core/state/workspace.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => {
  vi.useRealTimers()
  repo?.cleanup()
})

// a record was named by its millisecond, its kind and its pid only: two calls of one process recorded in one
// millisecond wrote one file, and the budget counted the second call alone

describe('agent call records', () => {
  it('two calls of one process in one millisecond leave two records, both counted', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      vi.useFakeTimers({toFake: ['Date']})
      vi.setSystemTime(new Date('2030-01-02T03:04:05.678Z'))
      const call = (usd: number) =>
        recordAgentCall(ws, {kind: 'assess', agent: 'agent', cost: {usd, tokens_in: 0, tokens_out: 0}, attempts: 1, failures: []})
      const files = [await call(0.25), await call(0.5)]
      expect(new Set(files).size).toBe(2)
      const listed = repo.git('ls-tree', '-r', '--name-only', 'main', 'reports/agent-calls').split('\n')
      expect(listed.sort()).toEqual([...files].sort())
      expect(await agentSpend(ws, repo.git('rev-parse', 'main'), '2030-01-02')).toBe(0.75)
    } finally {
      vi.useRealTimers()
      await ws.close()
    }
  })
})
