import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {accepting, expectNothingLeft, FOLLOW, GATE, seedNodes as seed, statusOf} from './follow-helpers.js'
import {workspace} from './helpers.js'

/** A follower (`rigor work --follow`) that another worker's claim holds back wakes when that worker is done. */

let repo: TempRepo
/** the workers a failed test left running (a follower waits for ever): stopped as a user would */
const started: Array<{kill: (signal?: NodeJS.Signals) => boolean}> = []
afterEach(() => {
  for (const worker of started.splice(0)) worker.kill('SIGTERM')
  repo?.cleanup()
})
/** rigorAsync, the process stopped after the test if it is still running then */
const startWorker = (args: string[]) => {
  const worker = rigorAsync(repo.dir, args)
  started.push(worker)
  return worker
}

const status = () => statusOf(repo.dir)

function setConfig(yaml: string): void {
  writeFileSync(join(repo.dir, 'rigor.yaml'), yaml)
  repo.git('commit', '-qam', 'config')
}

describe('a waiting follower wakes', {timeout: SLOW}, () => {
  it('a follower blocked by a team at max_parallel wakes when the other worker frees the slot', async () => {
    repo = workspace()
    setConfig(`version: 1\nteams: [{name: narrow, max_parallel: 1}]\n${GATE}\n`)
    const gate = join(repo.dir, '.git', 'gate')
    seed(repo.dir, [
      {id: 'narrow/a', team: 'narrow', priority: 10, run: {command: accepting(gate), sandbox: 'off'}},
      {id: 'narrow/b', team: 'narrow', run: {command: accepting(), sandbox: 'off'}},
    ])
    const other = startWorker(['work', '--max-nodes', '1', '--worker', 'other'])
    await waitFor('the other worker to claim narrow/a', () => /claimed narrow\/a/.test(other.output()))
    const follower = startWorker([...FOLLOW, '--worker', 'follower'])
    await waitFor('the follower to wait for the team', () =>
      /waiting: nothing claimable \(blocked\): .*max_parallel/.test(follower.output()),
    )
    writeFileSync(gate, '')
    expect((await other).code).toBe(0)
    await waitFor('the follower to run narrow/b', () => status().proven_accepted === 2)
    follower.kill('SIGTERM')
    const done = await follower
    expect(done.code, done.stderr).toBe(143)
    expect(done.stdout).toMatch(/claimed narrow\/b/)
    expect(done.stdout).toMatch(/follower: ran 1 node\(s\) \(1 proven_accepted\); stopped: interrupted$/m)
    await expectNothingLeft(repo.dir)
  })

  it("a second worker waits for requirements and a team's waits_for held by another worker's claim, instead of leaving blocked", async () => {
    repo = workspace()
    setConfig(
      `version: 1\nteams:\n  - name: arch\n  - name: late\n    waits_for: "nodes.exists(n, n.team == 'arch' && n.status == 'proven_accepted')"\n${GATE}\n`,
    )
    const gate = join(repo.dir, '.git', 'gate')
    seed(repo.dir, [
      {id: 'arch/trunk', team: 'arch', run: {command: accepting(gate), sandbox: 'off'}},
      {id: 'arch/next', team: 'arch', requires: ['arch/trunk'], run: {command: accepting(), sandbox: 'off'}},
      {id: 'late/x', team: 'late', run: {command: accepting(), sandbox: 'off'}},
    ])
    const other = startWorker(['work', '--max-nodes', '1', '--worker', 'other'])
    await waitFor('the other worker to claim arch/trunk', () => /claimed arch\/trunk/.test(other.output()))
    // without --follow the second worker leaves at once
    const once = rigor(repo.dir, ['work', '--worker', 'once'])
    expect(once.code).toBe(0)
    expect(once.stdout).toMatch(/stopped: blocked/)
    const follower = startWorker([...FOLLOW, '--worker', 'follower'])
    await waitFor('the follower to wait', () => /waiting: nothing claimable \(blocked\)/.test(follower.output()))
    expect(follower.output()).toMatch(/waiting for requirements|waits for/)
    writeFileSync(gate, '')
    expect((await other).code).toBe(0)
    await waitFor('the follower to run both', () => status().proven_accepted === 3)
    follower.kill('SIGINT')
    const done = await follower
    expect(done.code, done.stderr).toBe(130)
    expect(done.stdout).toMatch(/proven_accepted arch\/next/)
    expect(done.stdout).toMatch(/proven_accepted late\/x/)
    await expectNothingLeft(repo.dir)
  })
})
