import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json} from '../helpers/cli.js'
import {alive, waitFor} from '../helpers/processes.js'
import {slurmUnavailable} from '../helpers/slurm-cluster.js'
import {countActions, git} from './remote-helpers.js'
import {expectOutput} from '../helpers/output-schema.js'
import {ids, SLOW_RUNNER, slurmKit, taskLog} from './slurm-helpers.js'

/** rigor on a real (one-node) Slurm cluster, cancelled: Slurm's scancel and rigor slurm cancel. Its own cluster (see slurm.test.ts). */

const skip = slurmUnavailable()
if (skip) console.warn(`skipping the Slurm tests: ${skip}`)
const kit = slurmKit(skip)

describe.skipIf(skip !== undefined)('rigor on Slurm, cancelled (a one-node cluster started for these tests)', {timeout: 300_000}, () => {
  it('scancel mid-run: the workers put their claims back, supervise leaves nothing running, a new array finishes the rest', async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(
      {nodes: ids(12, 'slow').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '2m'}}))},
      'slurm: {time: "00:10:00", grace: 30s}',
    )
    const env = {RIGOR_TEST_SLEEP_MS: '3000'}
    const first = kit.submit(clone, ['--workers', '2', '--parallel', '2', '--scratch', scratch], env)
    // and a node held (claimed on the remote, no verdict, not put back): between two batches a worker may hold none, and
    // a cancel then has nothing to put back (seen once in a loaded suite)
    const holding = () => {
      const verdicts = countActions(bare, 'verdict')
      const released = countActions(bare, 'release')
      return verdicts.size >= 2 && [...countActions(bare, 'claim').keys()].some((id) => !verdicts.has(id) && !released.has(id))
    }
    await waitFor('two verdicts, and a node held, on the remote', holding, 120_000)
    // Slurm's own cancel: SIGTERM to every process of each task, the runners included, SIGKILL after KillWait (30 s)
    kit.cluster().run('scancel', [first])
    await kit.cluster().waitForJob(first)
    const verdicts = countActions(bare, 'verdict')
    const released = countActions(bare, 'release')
    expect(released.size, 'the workers put their claims back on SIGTERM').toBeGreaterThan(0)
    // every claim ended in a verdict or was put back: nothing was left for a lease to expire
    const logs = () => [0, 1].map((task) => taskLog(clone, first, task)).join('\n---\n')
    for (const id of countActions(bare, 'claim').keys())
      expect(verdicts.has(id) || released.has(id), `${id}\n${logs()}\n${git(bare, 'log', '--format=%s', 'main')}`).toBe(true)
    const supervised = json(kit.cli(clone, ['supervise', '--once', '--remote', 'origin', '--json']))
    expect(supervised.health.running).toBe(0)
    expect(verdicts.size).toBeLessThan(12)
    // a runner killed by Slurm's SIGTERM is the worker stopping, not the node failing: no verdict but accepted ones
    expect(kit.remoteStatus(bare), `${logs()}\n${git(bare, 'log', '--format=%s%n%b', 'main')}`).toMatchObject({
      running: 0,
      pending: 12 - verdicts.size,
      proven_accepted: verdicts.size,
    })

    const second = kit.submit(clone, ['--workers', '2', '--parallel', '2', '--scratch', scratch], env)
    await kit.cluster().waitForJob(second)
    const all = countActions(bare, 'verdict')
    for (const id of ids(12, 'slow')) expect(all.get(id), id).toBe(1)
    expect(kit.remoteStatus(bare)).toMatchObject({proven_accepted: 12, running: 0, pending: 0})
  })

  it('rigor slurm cancel: pending tasks dropped, running workers stop gracefully and put their claims back', async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(
      {nodes: ids(8, 'held').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}}))},
      'slurm: {time: "00:10:00"}',
    )
    // 5 tasks of 2 CPUs: 4 fit on the node, the fifth waits
    const jobId = kit.submit(clone, ['--workers', '5', '--parallel', '1', '--cpus-per-task', '2', '--scratch', scratch], {
      RIGOR_TEST_SLEEP_MS: '300000',
    })
    await waitFor('4 claims on the remote', () => countActions(bare, 'claim').size >= 4, 120_000)
    const cancelled = json(kit.cli(clone, ['slurm', 'cancel', '--json']))
    expectOutput('slurm cancel', cancelled)
    expect(cancelled.cancelled).toEqual([{job_id: jobId, pending: ['4'], running: ['0', '1', '2', '3'], how: 'graceful'}])
    await kit.cluster().waitForJob(jobId)
    expect([...countActions(bare, 'release').keys()].sort()).toEqual([...countActions(bare, 'claim').keys()].sort())
    expect(kit.remoteStatus(bare)).toMatchObject({running: 0, pending: 8})
    const status = json(kit.cli(clone, ['slurm', 'status', '--json']))
    expect(status.arrays[0].cancelled_at).toBeTruthy()
    for (const t of status.arrays[0].tasks.slice(0, 4)) expect(t.exit_code).toBe('143:0')
    expect(taskLog(clone, jobId, 0)).toMatch(/stopped: interrupted; \d+ put back/)
    // nothing left to cancel: exit 3
    expect(kit.cli(clone, ['slurm', 'cancel']).code).toBe(3)
  })

  it('rigor slurm cancel again while the tasks still stop: they are not signalled twice (which makes rigor leave its claims held)', async () => {
    // a runner that ignores SIGTERM: rigor waits for it a few seconds before SIGKILL, so the task is still stopping
    const ignoring = ['node', resolve(__dirname, '../fixtures/ignore-term.cjs')]
    const {bare, clone, scratch} = kit.remoteWorkspace(
      {nodes: ids(2, 'stubborn').map((id) => ({id, team: 'default', run: {command: ignoring, timeout: '5m', sandbox: 'off'}}))},
      'slurm: {time: "00:10:00"}',
    )
    const pids = join(scratch, 'runner-pids.txt')
    const jobId = kit.submit(clone, ['--workers', '1', '--parallel', '1', '--scratch', scratch], {RIGOR_PIDS_FILE: pids})
    await waitFor(
      'the runner and its child to start',
      () => existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length === 2,
      120_000,
    )
    expect(kit.cli(clone, ['slurm', 'cancel', jobId]).code).toBe(0)
    const again = kit.cli(clone, ['slurm', 'cancel', jobId, '--json'])
    // exit 3 either way: nothing more to do, whether the task is still stopping or has ended
    expect(again.code, again.stdout).toBe(3)
    await kit.cluster().waitForJob(jobId)
    const log = taskLog(clone, jobId, 0)
    expect(log).not.toContain('left at once')
    expect([...countActions(bare, 'release').keys()], log).toEqual([...countActions(bare, 'claim').keys()])
    expect(readFileSync(pids, 'utf8').trim().split('\n').map(Number).filter(alive)).toEqual([])
    expect(kit.remoteStatus(bare)).toMatchObject({running: 0, pending: 2})
  })
})
