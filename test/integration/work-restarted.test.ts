import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {checkedOutput} from '../helpers/output-schema.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor work --restarted', () => {
  it(
    'takes back what a killed run under the same worker name held, and says which under --json too',
    async () => {
      repo = workspace()
      writeSpec(repo.dir, {
        nodes: [
          {id: 'r/slow', team: 'default', run: {command: ['sleep', '8'], timeout: '2m'}},
          {id: 'r/quick', team: 'default', run: {command: verdictRunner({sharpe: 1})}, priority: -1},
        ],
      })
      expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
      const first = rigorAsync(repo.dir, ['work', '--worker', 'box-1', '--max-nodes', '1'])
      const running = () => json<{by_status: Record<string, number>}>(rigor(repo.dir, ['status', '--json'])).by_status.running === 1
      await waitFor('r/slow running', running)
      first.kill('SIGKILL')
      await first

      const restarted = rigor(repo.dir, ['work', '--worker', 'box-1', '--restarted', '--json', '--max-nodes', '1'])
      expect(restarted.code, restarted.stderr).toBe(0)
      const result = checkedOutput('work', restarted)
      expect(result.taken_back).toEqual(['r/slow'])
      // without --restarted there is no such field
      const plain = checkedOutput('work', rigor(repo.dir, ['work', '--worker', 'box-2', '--json']))
      expect(plain).not.toHaveProperty('taken_back')
    },
    SLOW,
  )
})
