import {writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {alive, sleep, waitForPids} from '../helpers/processes.js'
import {SH_OK} from '../fixtures/runners.js'
import {actionsPerNode, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const FIXTURES = resolve(__dirname, '../fixtures')

/** Writes rigor.yaml; rigor reads its config from the branch tip, so tests commit it before use. */
function setConfig(dir: string, yaml: string) {
  writeFileSync(join(dir, 'rigor.yaml'), yaml)
}

// apart from dag.test.ts (sweeps, waits_for, rules): workers killed or cancelled mid-run, and leases, which wait on real time;
// the two files run side by side

describe('the research DAG', () => {
  it('a worker killed with SIGKILL mid-run: supervise re-queues after the lease, another worker finishes, one verdict', async () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nlease: {duration: 6s, max_attempts: 3}\n`,
    )
    repo.git('commit', '-qam', 'short lease')
    // no sandbox: the runner writes its pid into .git, which a sandbox hides
    writeSpec(repo.dir, {
      nodes: [{id: 'k/victim', team: 'default', run: {command: ['node', join(FIXTURES, 'slow-runner.cjs')], sandbox: 'off'}}],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const pids = join(repo.dir, '.git', 'pids.txt')
    const doomed = rigorAsync(repo.dir, ['work', '--worker', 'doomed'], {RIGOR_TEST_SLEEP_MS: '60000', RIGOR_PIDS_FILE: pids})
    const runner = await waitForPids(pids, 1)
    doomed.kill('SIGKILL')
    await doomed
    for (const pid of runner) if (alive(pid)) process.kill(pid, 'SIGKILL')
    const held = json(rigor(repo.dir, ['show', 'k/victim', '--json']))
    expect(held.status).toBe('running')
    // a lease that has not expired is left alone (checked only while it is surely still running: machines here are slow)
    if (Date.parse(held.lease_until) - Date.now() > 3000) {
      expect(json(rigor(repo.dir, ['supervise', '--once', '--json'])).supervised.requeued).toEqual([])
    }
    await sleep(6500)
    const sup = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(sup.supervised.requeued).toEqual(['k/victim'])
    const rescue = json(rigor(repo.dir, ['work', '--worker', 'rescuer', '--json'], {RIGOR_TEST_SLEEP_MS: '100'}))
    expect(rescue.finished).toBe(1)
    const shown = json(rigor(repo.dir, ['show', 'k/victim', '--json']))
    expect(shown.verdict).toMatchObject({status: 'proven_accepted', worker: 'rescuer', attempt: 2})
    expect(actionsPerNode(repo, 'verdict').get('k/victim')).toBe(1)
    expect(actionsPerNode(repo, 'claim').get('k/victim')).toBe(2)
  })

  it('cancel on a running node whose runner ignores SIGTERM: the process tree is gone within the grace period', async () => {
    repo = workspace()
    // no sandbox: the runner writes its host pids into .git, which a sandbox hides (sandbox.test.ts covers the sandboxed cancel)
    writeSpec(repo.dir, {
      nodes: [{id: 'c/stubborn', team: 'default', run: {command: ['node', join(FIXTURES, 'ignore-term.cjs')], sandbox: 'off'}}],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const pids = join(repo.dir, '.git', 'pids.txt')
    const worker = rigorAsync(repo.dir, ['work', '--json'], {RIGOR_PIDS_FILE: pids})
    const tree = await waitForPids(pids, 2)
    expect(tree.every(alive)).toBe(true)
    const cancel = rigor(repo.dir, ['cancel', 'c/stubborn', '--json'])
    expect(json(cancel).stopping).toEqual(['c/stubborn'])
    const done = await worker
    expect(done.code).toBe(0)
    // no stopwatch here (a loaded machine stretches any bound): a worker that waited on the runner instead of
    // killing it after the grace would never finish, and the test's own timeout fails it
    expect(tree.some(alive)).toBe(false)
    const shown = json(rigor(repo.dir, ['show', 'c/stubborn', '--json']))
    expect(shown.status).toBe('cancelled')
    expect(shown.verdict).toMatchObject({status: 'cancelled', decided_by: 'cancel'})
    // a pending node cancels at once
    writeSpec(repo.dir, {nodes: [{id: 'c/later', team: 'default', run: {command: SH_OK}}]}, 'later.yaml')
    rigor(repo.dir, ['seed', 'later.yaml'])
    expect(json(rigor(repo.dir, ['cancel', 'c/later', '--json'])).cancelled).toEqual(['c/later'])
    // no verdict is coming: show does not say "yet"
    expect(rigor(repo.dir, ['show', 'c/later']).stdout).toContain('(no verdict: it was cancelled before it ran)')
    expect(rigor(repo.dir, ['claim']).code).toBe(3)
    // cancelled already: nothing to do (exit 3), as for a sweep with no variant left to stop
    expect(rigor(repo.dir, ['cancel', 'c/later']).code).toBe(3)
  })

  // the commit of `rigor cancel <sweep>` named its variants only: `rigor log --node <sweep>` did not show the cancel
  it('a sweep group cancelled: the commit names the group, then its variants, and log --node finds it', () => {
    repo = workspace()
    writeSpec(repo.dir, {sweeps: [{id: 'c/grid', team: 'default', run: {command: SH_OK}, grid: {n: [1, 2]}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(json(rigor(repo.dir, ['cancel', 'c/grid', '--json'])).cancelled).toEqual(['c/grid/n-1', 'c/grid/n-2'])
    const again = rigor(repo.dir, ['cancel', 'c/grid', '--json'])
    expect(again.code).toBe(3)
    expect(json(again).error.message).toBe('sweep c/grid has no pending or running variant to cancel')
    const cancels = rigor(repo.dir, ['log', '--node', 'c/grid', '--action', 'cancel', '--json'])
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(cancels.map((e) => e.nodes)).toEqual([['c/grid', 'c/grid/n-1', 'c/grid/n-2']])
  })
})

describe('teams and leases', () => {
  it('max_parallel caps the running nodes of a team', () => {
    repo = workspace()
    setConfig(repo.dir, `version: 1\nteams: [{name: narrow, max_parallel: 1}, {name: wide}]\n`)
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'narrow/a', team: 'narrow', run: {command: SH_OK}},
        {id: 'narrow/b', team: 'narrow', run: {command: SH_OK}},
        {id: 'wide/a', team: 'wide', run: {command: SH_OK}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('narrow/a')
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('wide/a')
    const held = rigor(repo.dir, ['claim', '--json'])
    expect(held.code).toBe(3)
    expect(json(held).error.message).toContain('max_parallel')
    rigor(repo.dir, ['run', 'narrow/a'])
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('narrow/b')
  })

  it('a lease that expires on the last attempt ends the node inconclusive with the reason', async () => {
    repo = workspace()
    setConfig(repo.dir, `version: 1\nteams: [{name: default}]\nlease: {duration: 1s, max_attempts: 1}\n`)
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {nodes: [{id: 'l/once', team: 'default', run: {command: SH_OK}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(rigor(repo.dir, ['claim', '--worker', 'ghost']).code).toBe(0)
    await sleep(1500)
    const sup = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(sup.supervised.expired).toEqual(['l/once'])
    // the health is the one the pass left: the node it ended is no longer stuck
    expect(sup.health).toMatchObject({stuck: [], running: 0})
    const shown = json(rigor(repo.dir, ['show', 'l/once', '--json']))
    expect(shown.status).toBe('inconclusive')
    expect(shown.verdict.reason).toContain('lease expired on attempt 1 of 1')
  })
})
