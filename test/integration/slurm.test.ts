import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {slurmUnavailable} from '../helpers/slurm-cluster.js'
import {SH_OK} from '../fixtures/runners.js'
import {manyNodes} from './helpers.js'
import {countActions, git} from './remote-helpers.js'
import {expectOutput} from '../helpers/output-schema.js'
import {ids, slurmKit, taskLog} from './slurm-helpers.js'

/**
 * rigor on a real (one-node) Slurm cluster: a whole run. A task's time limit is in slurm-time-limit.test.ts,
 * cancelling (scancel and rigor slurm cancel) in slurm-cancel.test.ts, each with its own cluster, so the files
 * run side by side.
 */

/** the nodes of the first test */
const NODES = 32
const skip = slurmUnavailable()
if (skip) console.warn(`skipping the Slurm tests: ${skip}`)
const kit = slurmKit(skip)

describe.skipIf(skip !== undefined)('rigor on Slurm (a one-node cluster started for these tests)', {timeout: 300_000}, () => {
  // 32 nodes: 4 for each of the 8 slots, so every slot claims again and again against the others' pushes; 60 nodes checked
  // nothing more and took half a minute of this file's time on 2 cores
  it(`4 array tasks x 2 slots run ${NODES} nodes through a bare remote: each once, every verdict on the remote, verify clean`, async () => {
    const {bare, clone, scratch} = kit.remoteWorkspace(manyNodes(NODES, SH_OK), 'slurm: {time: "00:10:00", grace: 30s}')
    const jobId = kit.submit(clone, ['--workers', '4', '--parallel', '2', '--scratch', scratch])
    expect(existsSync(join(clone, '.git/rigor/slurm', `${jobId}.sh`))).toBe(true)
    await kit.cluster().waitForJob(jobId)

    const claims = countActions(bare, 'claim')
    const verdicts = countActions(bare, 'verdict')
    for (const id of ids(NODES)) {
      expect(claims.get(id), `${id} claims\n${taskLog(clone, jobId, 0)}`).toBe(1)
      expect(verdicts.get(id), `${id} verdicts`).toBe(1)
    }
    const fresh = join(dirname(bare), 'fresh')
    git(dirname(bare), 'clone', '-q', bare, fresh)
    const verify = rigor(fresh, ['verify'])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(json(rigor(fresh, ['status', '--json'])).by_status).toMatchObject({proven_accepted: NODES, running: 0, pending: 0})

    const status = json(kit.cli(clone, ['slurm', 'status', jobId, '--json']))
    expectOutput('slurm status', status)
    const [array] = status.arrays
    expect(array).toMatchObject({job_id: jobId, workers: 4, parallel: 2, known_to_slurm: true})
    expect(array.tasks.map((t: any) => t.worker)).toEqual([0, 1, 2, 3].map((i) => `slurm-${jobId}-${i}`))
    for (const t of array.tasks)
      expect(t, taskLog(clone, jobId, Number(t.task))).toMatchObject({state: 'COMPLETED', exit_code: '0:0', running: []})
    // the trailers say which task ran which node: together, every node once
    expect(array.tasks.flatMap((t: any) => t.nodes).sort()).toEqual(ids(NODES))
    for (const t of array.tasks) expect(t.host).toBeTruthy()
    expect(taskLog(clone, jobId, 0)).toMatch(/stopped: (empty|blocked)/)
  })
})
