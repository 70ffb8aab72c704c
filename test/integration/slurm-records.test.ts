import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json} from '../helpers/cli.js'
import {expectOutput} from '../helpers/output-schema.js'
import {waitFor} from '../helpers/processes.js'
import {slurmUnavailable} from '../helpers/slurm-cluster.js'
import {countActions, git} from './remote-helpers.js'
import {ids, SLOW_RUNNER, slurmKit, taskLog} from './slurm-helpers.js'

/**
 * rigor slurm status and cancel against what the clone's records say: a remote removed since, a record whose id Slurm
 * gave another job, one task of an array. Its own cluster (see slurm.test.ts).
 */

const skip = slurmUnavailable()
if (skip) console.warn(`skipping the Slurm tests: ${skip}`)
const kit = slurmKit(skip)

const heldNodes = (n: number, prefix: string) => ({
  nodes: ids(n, prefix).map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}})),
})
const HOLD = {RIGOR_TEST_SLEEP_MS: '300000'}

describe.skipIf(skip !== undefined)('rigor slurm status and cancel, by the records (a one-node cluster)', {timeout: 300_000}, () => {
  it('status with an array on a remote removed since: the other arrays are reported, the unreadable one named with why', async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(heldNodes(1, 'quick'), 'slurm: {time: "00:10:00"}')
    const other = join(dirname(bare), 'other.git')
    git(dirname(bare), 'clone', '-q', '--bare', bare, other)
    git(clone, 'remote', 'add', 'other', other)
    const env = {RIGOR_TEST_SLEEP_MS: '10'}
    const here = kit.submit(clone, ['--workers', '1', '--scratch', scratch], env)
    const there = kit.submit(clone, ['--workers', '1', '--scratch', scratch, '--remote', 'other'], env)
    await kit.cluster().waitForJob(here)
    await kit.cluster().waitForJob(there)
    git(clone, 'remote', 'remove', 'other')

    const result = kit.cli(clone, ['slurm', 'status', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const status = json(result)
    expectOutput('slurm status', status)
    expect(status.arrays.map((a: any) => a.job_id)).toEqual([here])
    expect(status.arrays[0].tasks[0].nodes).toEqual(['quick/n0000'])
    expect(status.unreadable).toEqual([
      expect.objectContaining({remote: 'other', job_ids: [there], problem: expect.stringContaining('no git remote named "other"')}),
    ])
    expect(result.stderr).toContain(`array ${there} not read: submitted to other`)

    // the one array asked for cannot be read: exit 2, naming it and its remote
    const one = kit.cli(clone, ['slurm', 'status', there])
    expect(one.code).toBe(2)
    expect(one.stderr).toContain(`array ${there} submitted to other, which cannot be read`)
    // a task is named as Slurm names it: the array's id is what status takes
    const task = kit.cli(clone, ['slurm', 'status', `${here}_0`])
    expect(task.code).toBe(2)
    expect(task.stderr).toContain(`give the array's id, ${here}`)
  })

  it("a record whose id now names a job submitted at another time, or another user's: neither reported nor cancelled", async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(heldNodes(2, 'held'), 'slurm: {time: "00:10:00"}')
    const jobId = kit.submit(clone, ['--workers', '1', '--scratch', scratch], HOLD)
    await waitFor('a claim on the remote', () => countActions(bare, 'claim').size >= 1, 120_000)
    const file = join(clone, '.git/rigor/slurm', `${jobId}.json`)
    const record = JSON.parse(readFileSync(file, 'utf8'))
    expect(record.uid).toBe(process.getuid!())
    const running = () =>
      kit
        .cluster()
        .run('squeue', ['--noheader', `--jobs=${jobId}`, '--format=%T'])
        .trim()

    const stale = [
      // the record of an array submitted a day before this job got its id (a reinstalled cluster starts ids again)
      {...record, submitted_at: new Date(Date.parse(record.submitted_at) - 86_400_000).toISOString()},
      // the record of another user's array
      {...record, uid: record.uid + 4242},
    ]
    for (const noted of stale) {
      writeFileSync(file, JSON.stringify(noted))
      const status = json(kit.cli(clone, ['slurm', 'status', jobId, '--json']))
      expect(status.arrays[0]).toMatchObject({job_id: jobId, known_to_slurm: false})
      expect(status.arrays[0].tasks[0].state).toBe('unknown')
      const cancel = kit.cli(clone, ['slurm', 'cancel', jobId])
      expect(cancel.code, cancel.stdout + cancel.stderr).toBe(3)
      expect(kit.cli(clone, ['slurm', 'cancel', '--kill']).code).toBe(3)
      expect(running()).toBe('RUNNING')
    }

    // its own record: the array is known and cancelled
    writeFileSync(file, JSON.stringify(record))
    expect(json(kit.cli(clone, ['slurm', 'status', jobId, '--json'])).arrays[0].known_to_slurm).toBe(true)
    expect(kit.cli(clone, ['slurm', 'cancel', jobId]).code).toBe(0)
    await kit.cluster().waitForJob(jobId)
  })

  it('rigor slurm cancel <job>_<task>: one task, pending or running, gracefully or with --kill; the rest go on', async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(heldNodes(8, 'task'), 'slurm: {time: "00:10:00"}')
    // 5 tasks of 2 CPUs: 4 fit on the node, the fifth waits
    const jobId = kit.submit(clone, ['--workers', '5', '--parallel', '1', '--cpus-per-task', '2', '--scratch', scratch], HOLD)
    await waitFor('4 claims on the remote', () => countActions(bare, 'claim').size >= 4, 120_000)
    const cancel = (target: string, ...more: string[]) => {
      const result = kit.cli(clone, ['slurm', 'cancel', target, ...more, '--json'])
      expect(result.code, result.stdout + result.stderr).toBe(0)
      const out = json(result)
      expectOutput('slurm cancel', out)
      return out.cancelled
    }
    const states = () => json(kit.cli(clone, ['slurm', 'status', jobId, '--json'])).arrays[0].tasks.map((t: any) => t.state)

    expect(cancel(`${jobId}_4`)).toEqual([{job_id: jobId, pending: ['4'], running: [], how: 'graceful'}])
    expect(cancel(`${jobId}_1`)).toEqual([{job_id: jobId, pending: [], running: ['1'], how: 'graceful'}])
    await waitFor('task 1 to end', () => states()[1] !== 'RUNNING', 120_000)
    expect(taskLog(clone, jobId, 1)).toMatch(/stopped: interrupted; \d+ put back/)
    expect(states()).toEqual(['RUNNING', 'FAILED', 'RUNNING', 'RUNNING', 'CANCELLED'])
    const again = kit.cli(clone, ['slurm', 'cancel', `${jobId}_1`])
    expect(again.code).toBe(3)
    expect(again.stderr).toContain(`task 1 of array ${jobId} is not pending or running`)
    const beyond = kit.cli(clone, ['slurm', 'cancel', `${jobId}_5`])
    expect(beyond.code).toBe(2)
    expect(beyond.stderr).toContain(`array ${jobId} has no task 5: its tasks are 0 to 4`)

    expect(cancel(`${jobId}_0`, '--kill')).toEqual([{job_id: jobId, pending: [], running: ['0'], how: 'kill'}])
    await waitFor('task 0 to end', () => states()[0] !== 'RUNNING', 120_000)
    expect(states().slice(2, 4)).toEqual(['RUNNING', 'RUNNING'])
    // the whole array: the two still running
    expect(cancel(jobId)).toEqual([{job_id: jobId, pending: [], running: ['2', '3'], how: 'graceful'}])
    await kit.cluster().waitForJob(jobId)
    expect([...countActions(bare, 'release').keys()].sort()).toEqual([...countActions(bare, 'claim').keys()].sort())
    expect(kit.remoteStatus(bare)).toMatchObject({running: 0, pending: 8})
  })
})
