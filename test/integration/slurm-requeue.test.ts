import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {json} from '../helpers/cli.js'
import {waitFor} from '../helpers/processes.js'
import {slurmUnavailable} from '../helpers/slurm-cluster.js'
import {countActions} from './remote-helpers.js'
import {ids, SLOW_RUNNER, slurmKit, taskLog} from './slurm-helpers.js'

/**
 * rigor on a real (one-node) Slurm cluster whose tasks are requeued or suspended. Its own cluster, beside
 * slurm-cancel.test.ts: together the two files ran near the 90 s a file may take.
 */

const skip = slurmUnavailable()
if (skip) console.warn(`skipping the Slurm tests: ${skip}`)
const kit = slurmKit(skip)

describe.skipIf(skip !== undefined)(
  'rigor on Slurm, requeued or suspended (a one-node cluster started for these tests)',
  {timeout: 300_000},
  () => {
    it('a task requeued mid-run (scontrol requeue, as preemption does): its claim is put back, it runs again, its log keeps both runs', async () => {
      const {bare, clone, scratch} = kit.remoteWorkspace(
        {nodes: ids(4, 'requeued').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '2m'}}))},
        'slurm: {time: "00:10:00", grace: 30s}',
      )
      const jobId = kit.submit(clone, ['--workers', '1', '--parallel', '1', '--scratch', scratch], {RIGOR_TEST_SLEEP_MS: '3000'})
      await waitFor('a claim on the remote', () => countActions(bare, 'claim').size >= 1, 120_000)
      kit.cluster().run('scontrol', ['requeue', `${jobId}_0`])
      // a requeued job waits (BeginTime) before it may start again: now
      await waitFor(
        'the task pending again',
        () => /JobState=PENDING/.test(kit.cluster().run('scontrol', ['show', 'job', `${jobId}_0`])),
        60_000,
      )
      kit.cluster().run('scontrol', ['update', `JobId=${jobId}_0`, 'StartTime=now'])
      await kit.cluster().waitForJob(jobId)
      const log = taskLog(clone, jobId, 0)
      expect(countActions(bare, 'release').size, log).toBeGreaterThan(0)
      // the first run's output (what it put back) and the second's (it finished the rest)
      expect(log).toMatch(/stopped: interrupted; \d+ put back[\s\S]*stopped: (empty|blocked)/)
      expect(kit.remoteStatus(bare)).toMatchObject({proven_accepted: 4, running: 0, pending: 0})
      const [task] = json(kit.cli(clone, ['slurm', 'status', jobId, '--json'])).arrays[0].tasks
      expect(task).toMatchObject({worker: `slurm-${jobId}-0`, state: 'COMPLETED', running: []})
      expect(task.nodes.sort()).toEqual(ids(4, 'requeued'))
    })

    // its second run left the first run's claim to the lease (15 minutes here): the node stayed running, unrun, until
    // a supervisor took it back
    it('a task SIGKILLed, then requeued: its second run takes back what the first held (the attempt counts) and runs it', async () => {
      // runners that finish once the gate exists, which the test makes between the two runs (no sandbox: its /tmp is
      // its own)
      const gateDir = mkdtempSync(join(tmpdir(), 'rigor-gate-'))
      onTestFinished(() => rmSync(gateDir, {recursive: true, force: true}))
      const gate = join(gateDir, 'gate')
      const command = [
        'sh',
        '-c',
        'while [ ! -f "$GATE" ]; do sleep 0.1; done; printf \'{"metrics":{"sharpe":1}}\' > "$RIGOR_OUT/verdict.json"',
      ]
      const {bare, clone, scratch} = kit.remoteWorkspace(
        {nodes: ids(2, 'killed').map((id) => ({id, team: 'default', run: {command, timeout: '2m', sandbox: 'off', env: {GATE: gate}}}))},
        'slurm: {time: "00:10:00", grace: 30s}',
      )
      const jobId = kit.submit(clone, ['--workers', '1', '--parallel', '1', '--scratch', scratch])
      await waitFor('a claim on the remote', () => countActions(bare, 'claim').size >= 1, 120_000)
      const [held] = [...countActions(bare, 'claim').keys()]
      // rigor is the batch shell (the script execs it): it dies without a word, its claim still on the remote
      kit.cluster().run('scancel', ['--batch', '--signal=KILL', `${jobId}_0`])
      const state = () => /JobState=(\S+)/.exec(kit.cluster().run('scontrol', ['show', 'job', `${jobId}_0`]))?.[1]
      await waitFor('the task to end', () => state() === 'FAILED', 60_000)
      expect(kit.remoteStatus(bare)).toMatchObject({running: 1})
      writeFileSync(gate, '')
      kit.cluster().run('scontrol', ['requeue', `${jobId}_0`])
      await waitFor('the task pending again', () => state() === 'PENDING', 60_000)
      kit.cluster().run('scontrol', ['update', `JobId=${jobId}_0`, 'StartTime=now'])
      await kit.cluster().waitForJob(jobId)
      const log = taskLog(clone, jobId, 0)
      expect(log).toContain(`took back from an earlier run of slurm-${jobId}-0: ${held}`)
      expect(kit.remoteStatus(bare), log).toMatchObject({proven_accepted: 2, running: 0})
      // taken back as a supervisor takes back an expired lease: the killed run counts as an attempt
      const show = json(kit.cli(clone, ['show', held!, '--remote', 'origin', '--json']))
      expect(show.verdict).toMatchObject({worker: `slurm-${jobId}-0`, attempt: 2})
    })

    it('rigor slurm cancel of a suspended task says so and changes nothing; --kill cancels it', async () => {
      const {bare, clone, scratch} = kit.remoteWorkspace(
        {nodes: ids(2, 'paused').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}}))},
        'slurm: {time: "00:10:00", grace: 30s}',
      )
      const jobId = kit.submit(clone, ['--workers', '1', '--parallel', '1', '--scratch', scratch], {RIGOR_TEST_SLEEP_MS: '300000'})
      await waitFor('a claim on the remote', () => countActions(bare, 'claim').size >= 1, 120_000)
      const state = () => /JobState=(\S+)/.exec(kit.cluster().run('scontrol', ['show', 'job', `${jobId}_0`]))?.[1]
      kit.cluster().run('scontrol', ['suspend', jobId])
      await waitFor('the task suspended', () => state() === 'SUSPENDED', 60_000)
      // Slurm cannot signal a suspended task: rigor says so instead of scancel's "try again later", and touches nothing.
      // (Not tried here: a graceful cancel right after `scontrol resume`, which slurmstepd may drop while it still
      // counts the step suspended; seen once in three runs.)
      const refused = kit.cli(clone, ['slurm', 'cancel'])
      expect(refused.code, refused.stderr).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`array ${jobId}: task 0 is suspended[\\s\\S]*Fix: .*slurm cancel ${jobId} --kill`))
      expect(state()).toBe('SUSPENDED')
      expect(json(kit.cli(clone, ['slurm', 'status', jobId, '--json'])).arrays[0].cancelled_at).toBeUndefined()

      const killed = json(kit.cli(clone, ['slurm', 'cancel', jobId, '--kill', '--json']))
      expect(killed.cancelled).toEqual([{job_id: jobId, pending: [], running: ['0'], how: 'kill'}])
      await kit.cluster().waitForJob(jobId)
      expect(state()).toBe('CANCELLED')
    })
  },
)
