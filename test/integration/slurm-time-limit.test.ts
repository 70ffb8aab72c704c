import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json} from '../helpers/cli.js'
import {pidsInDir, waitFor} from '../helpers/processes.js'
import {slurmUnavailable} from '../helpers/slurm-cluster.js'
import {countActions} from './remote-helpers.js'
import {ids, SLOW_RUNNER, slurmKit, taskLog} from './slurm-helpers.js'

/**
 * rigor on a real (one-node) Slurm cluster: a task's time limit. Its own cluster (see slurm.test.ts): the
 * task waits for its deadline, and beside the other Slurm files that wait costs nothing.
 */

const skip = slurmUnavailable()
if (skip) console.warn(`skipping the Slurm tests: ${skip}`)
const kit = slurmKit(skip)

describe.skipIf(skip !== undefined)('rigor on Slurm near a time limit (a one-node cluster)', {timeout: 300_000}, () => {
  it('a task nearing its time limit stops its runners and puts its claims back before Slurm would kill it', async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(
      {nodes: ids(4, 'long').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}}))},
      'slurm: {time: "00:02:00"}',
    )
    // Two minutes with a grace of 60 s: rigor's own deadline is 60 s after the start, and Slurm's SIGTERM
    // (B:TERM@60) may come before it: Slurm looks for warnings due every 30 s or so and sends one that falls due
    // before its next look, so no sooner than about 30 s after the start. With a 90 s grace that soonest was the start
    // itself, and on a loaded machine the signal once came while the task was still cloning: nothing claimed,
    // nothing to check (the task says so now: slurm-script.test.ts). A 30 s grace made the test wait 90 s.
    const jobId = kit.submit(clone, ['--workers', '1', '--parallel', '2', '--grace', '60s', '--scratch', scratch], {
      RIGOR_TEST_SLEEP_MS: '300000',
    })
    await kit.cluster().waitForJob(jobId, 150_000)
    // the daemons' logs say who ended the job if it ended otherwise than the test expects
    const log = `${taskLog(clone, jobId, 0)}\n${kit.cluster().logs()}`
    expect(countActions(bare, 'claim').size, log).toBe(2)
    expect([...countActions(bare, 'release').keys()].sort(), log).toEqual([...countActions(bare, 'claim').keys()].sort())
    expect(countActions(bare, 'verdict').size).toBe(0)
    expect(kit.remoteStatus(bare)).toMatchObject({running: 0, pending: 4})
    const [task] = json(kit.cli(clone, ['slurm', 'status', jobId, '--json'])).arrays[0].tasks
    // it left on its own, before the limit: not TIMEOUT
    expect(task.state, log).not.toBe('TIMEOUT')
    expect(taskLog(clone, jobId, 0)).toMatch(/stopped: (deadline|interrupted); 2 put back/)
  })

  it("every task of an array gets the deadline, the one whose job id is the array's own too", async () => {
    const {clone, scratch} = kit.remoteWorkspace(
      {nodes: ids(3, 'long').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}}))},
      'slurm: {time: "00:10:00"}',
    )
    // SBATCH_* variables in the user's shell override a script's #SBATCH lines: never rigor's own (the array's name,
    // which status and cancel know it by, and the early SIGTERM), which sbatch's command line sets again
    const jobId = kit.submit(clone, ['--workers', '3', '--parallel', '1', '--grace', '60s', '--scratch', scratch], {
      RIGOR_TEST_SLEEP_MS: '300000',
      SBATCH_JOB_NAME: 'not-rigor',
      SBATCH_SIGNAL: 'B:USR1@5',
      SBATCH_OPEN_MODE: 'truncate',
    })
    // each task's rigor works in its clone; Slurm gives the array's own id to one of its tasks (the last, here)
    const workers = () =>
      [0, 1, 2].map((task) => pidsInDir(join(scratch, `rigor-${jobId}-${task}`)).find((p) => p.command.includes(' work '))?.command)
    await waitFor('a rigor worker in each task', () => workers().every((command) => command !== undefined), 150_000)
    for (const command of workers()) expect(command).toMatch(/ --stop-at @\d+$/)
    const job = kit.cluster().run('scontrol', ['show', 'job', '--oneliner', jobId])
    expect(job).toContain('JobName=rigor ')
    expect(kit.cli(clone, ['slurm', 'cancel', jobId]).code).toBe(0)
    await kit.cluster().waitForJob(jobId, 150_000)
  })
})
