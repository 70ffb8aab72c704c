import {existsSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {checkedOutput} from '../helpers/output-schema.js'
import {alive, pidsWithEnv, readPids, runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

/** `rigor cycle cancel` on a live and on a killed cycle; `rigor cycle list` while it runs and after. */

const FOREVER = ['node', join(resolve(__dirname, '../fixtures'), 'forever-runner.cjs')]
let repo: TempRepo
let strays: number[] = []
afterEach(() => {
  // runners of a SIGKILLed cycle are not this test's to leave behind
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL')
  strays = []
  repo?.cleanup()
})

const readyRuns = (dir: string) => runDirs(dir).filter((run) => existsSync(join(dir, '.git/rigor/runs', run, 'out/ready')))
const status = () => json(rigor(repo.dir, ['status', '--json'])).by_status
const stepsOf = (result: any): Record<string, string> => Object.fromEntries(result.steps.map((s: any) => [s.name, s.status]))

describe('rigor cycle cancel', () => {
  it(
    'cycle cancel stops a running cycle (exit 143, outcome cancelled, nothing claimed); a killed cycle is cancelled from its record',
    async () => {
      repo = workspace()
      const pids = join(repo.dir, '.git', 'runner-pids')
      writeSpec(repo.dir, {
        nodes: Array.from({length: 3}, (_, i) => ({
          id: `slow/n${i}`,
          team: 'default',
          run: {command: FOREVER, sandbox: 'off', env: {RIGOR_PIDS_FILE: pids}},
        })),
      })
      rigor(repo.dir, ['seed', 'spec.yaml'])

      const running = rigorAsync(repo.dir, ['cycle', '--skip', 'design', '--parallel', '2', '--json'])
      await waitFor('2 runners ready', () => readyRuns(repo.dir).length === 2)
      const listedLive = checkedOutput('cycle list', rigor(repo.dir, ['cycle', 'list', '--json']))
      expect(listedLive.cycles[0]).toMatchObject({outcome: 'running', pid: running.pid})
      const cancel = rigor(repo.dir, ['cycle', 'cancel', '--json'])
      expect(cancel.code, cancel.stderr).toBe(0)
      const cancelled = checkedOutput('cycle cancel', cancel)
      expect(cancelled).toMatchObject({outcome: 'cancelled', was_running: true, pid: running.pid})
      const ended = await running
      expect(ended.code).toBe(143)
      const result = checkedOutput('cycle', ended)
      expect(result.outcome).toBe('cancelled')
      expect(stepsOf(result)).toEqual({design: 'skipped', work: 'cancelled', audit: 'cancelled', rank: 'cancelled', report: 'cancelled'})
      // stopped gracefully: its runners are gone and its claims back
      await waitFor('no runner left', () => pidsWithEnv(`RIGOR_WORKSPACE=${repo.dir}`).length === 0)
      expect(status()).toMatchObject({running: 0, pending: 3})
      expect(runDirs(repo.dir)).toEqual([])
      expect(existsSync(join(repo.dir, '.git/rigor/cycle.json'))).toBe(false)
      const again = rigor(repo.dir, ['cycle', 'cancel', '--json'])
      expect(again.code).toBe(3)
      expect(json(again).error.message).toContain('no cycle is in progress')

      // a cycle killed outright holds its claims; cancel puts them back and closes its record, so nothing resumes it
      const killed = rigorAsync(repo.dir, ['cycle', '--skip', 'design', '--parallel', '2'])
      await waitFor('2 runners ready', () => readyRuns(repo.dir).length === 2)
      killed.kill('SIGKILL')
      await killed
      strays = readPids(pids)
      expect(status()).toMatchObject({running: 2})
      const listedDead = checkedOutput('cycle list', rigor(repo.dir, ['cycle', 'list', '--json']))
      expect(listedDead.cycles[0].outcome).toBe('interrupted')
      const closed = checkedOutput('cycle cancel', rigor(repo.dir, ['cycle', 'cancel', '--json']))
      expect(closed).toMatchObject({outcome: 'cancelled', was_running: false})
      expect(closed.released).toHaveLength(2)
      expect(status()).toMatchObject({running: 0, pending: 3})
      const listed = checkedOutput('cycle list', rigor(repo.dir, ['cycle', 'list', '--json']))
      expect(listed.cycles.map((c: any) => c.outcome)).toEqual(['cancelled', 'cancelled'])
      expect(listed.cycles.map((c: any) => c.id)).toEqual([closed.id, cancelled.id])
    },
    SLOW,
  )

  it(
    'a cancelled cycle says, as it stops, that it was cancelled, not that the next rigor cycle resumes it',
    async () => {
      repo = workspace()
      writeSpec(repo.dir, {nodes: [{id: 'slow/n0', team: 'default', run: {command: FOREVER, sandbox: 'off'}}]})
      rigor(repo.dir, ['seed', 'spec.yaml'])
      const running = rigorAsync(repo.dir, ['cycle', '--skip', 'design'])
      await waitFor('the runner ready', () => readyRuns(repo.dir).length === 1)
      const cancel = rigor(repo.dir, ['cycle', 'cancel'])
      expect(cancel.code, cancel.stderr).toBe(0)
      const ended = await running
      expect(ended.code).toBe(143)
      expect(ended.stdout).toMatch(/stopping: cancelled by rigor cycle cancel; running nodes are stopped and put back/)
      expect(ended.stdout).not.toMatch(/resumes/)
      expect(ended.stdout).toMatch(/: cancelled, cost/)
    },
    SLOW,
  )
})
