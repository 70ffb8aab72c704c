import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {outputSchemaPath} from '../../src/cli/schemas/generate.js'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {waitFor} from '../helpers/processes.js'
import {type SlurmCluster, slurmUnavailable, startSlurmCluster} from '../helpers/slurm-cluster.js'
import {SH_OK} from '../fixtures/runners.js'
import {manyNodes, workspace, writeSpec} from './helpers.js'

/**
 * rigor on a real (one-node) Slurm cluster. Every Slurm test lives in this one
 * file: vitest runs files in parallel, and the cluster is started once for
 * them and stopped, daemons and all, whatever happens.
 */

const ROOT = resolve(__dirname, '../..')
const FIXTURES = resolve(__dirname, '../fixtures')
const SLOW_RUNNER = ['node', join(FIXTURES, 'slow-runner.cjs')]
/** the nodes of the first test */
const NODES = 32
const skip = slurmUnavailable()
if (skip) console.warn(`skipping the Slurm tests: ${skip}`)

let cluster: SlurmCluster
let root: string

beforeAll(async () => {
  if (!skip) cluster = await startSlurmCluster()
}, 120_000)
afterAll(async () => {
  await cluster?.stop()
}, 120_000)
afterEach(() => {
  if (root) rmSync(root, {recursive: true, force: true})
})

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
const cli = (dir: string, args: string[], env: Record<string, string> = {}) => rigor(dir, args, {...cluster.env, ...env})

const ajv = new Ajv2020({strict: false, allErrors: true})
function expectOutput(command: string, value: unknown): void {
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, outputSchemaPath(command)), 'utf8')))
  expect(validate(value), `${command}: ${ajv.errorsText(validate.errors)}`).toBe(true)
}

/** A bare remote holding a seeded workspace (config committed), a clone to submit from, and scratch for the tasks. */
function remoteWorkspace(spec: unknown, config: string): {bare: string; clone: string; scratch: string} {
  root = mkdtempSync(join('/tmp', 'rigor-slurm-test-'))
  const origin = workspace()
  const file = join(origin.dir, 'rigor.yaml')
  // a lease in `config` replaces the one rigor init wrote
  const base = readFileSync(file, 'utf8').replace(config.includes('lease:') ? /^lease:.*$/m : /$^/, '')
  writeFileSync(file, `${base}\n${config}\n`)
  origin.git('commit', '-qam', 'config')
  writeSpec(origin.dir, spec)
  expect(rigor(origin.dir, ['seed', 'spec.yaml']).code).toBe(0)
  const bare = join(root, 'remote.git')
  git(root, 'clone', '-q', '--bare', origin.dir, bare)
  origin.cleanup()
  const clone = join(root, 'submitter')
  git(root, 'clone', '-q', bare, clone)
  const scratch = join(root, 'scratch')
  mkdirSync(scratch)
  return {bare, clone, scratch}
}

/** Submits from `clone`; sbatch passes the environment on to the tasks (RIGOR_TEST_SLEEP_MS for the slow runner). */
function submit(clone: string, args: string[], env: Record<string, string> = {}): string {
  const result = cli(clone, ['slurm', 'submit', ...args, '--json'], env)
  expect(result.code, result.stderr).toBe(0)
  const submitted = json(result)
  expectOutput('slurm submit', submitted)
  return submitted.job_id as string
}

/** Per node, how many commits of `action` name it: a verdict names its node first (then its spawns); a claim or a release every node it holds (--prefetch claims several). */
function actions(bare: string, action: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of git(bare, 'log', '--format=%B%x00', 'main').split('\0')) {
    if (!new RegExp(`^Rigor-Action: ${action}$`, 'm').test(message)) continue
    const nodes = [...message.matchAll(/^Rigor-Node: (.+)$/gm)].map((m) => m[1]!)
    for (const node of action === 'verdict' ? nodes.slice(0, 1) : nodes) counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}

function remoteStatus(bare: string): Record<string, number> {
  const fresh = join(root, `look-${Math.random().toString(16).slice(2)}`)
  git(root, 'clone', '-q', bare, fresh)
  const status = json(rigor(fresh, ['status', '--json'])).by_status
  rmSync(fresh, {recursive: true, force: true})
  return status
}

const taskLog = (clone: string, jobId: string, task: number) =>
  readFileSync(join(clone, '.git/rigor/slurm/logs', `${jobId}_${task}.out`), 'utf8')

const ids = (n: number, prefix = 'bulk') => Array.from({length: n}, (_, i) => `${prefix}/n${String(i).padStart(4, '0')}`)

describe.skipIf(skip !== undefined)('rigor on Slurm (a one-node cluster started for these tests)', {timeout: 300_000}, () => {
  // 32 nodes: 4 for each of the 8 slots, so every slot claims again and again against the others' pushes; 60 nodes checked
  // nothing more and took half a minute of this file's time on 2 cores
  it(`4 array tasks x 2 slots run ${NODES} nodes through a bare remote: each once, every verdict on the remote, verify clean`, async () => {
    const {bare, clone, scratch} = remoteWorkspace(manyNodes(NODES, SH_OK), 'slurm: {time: "00:10:00", grace: 30s}')
    const jobId = submit(clone, ['--workers', '4', '--parallel', '2', '--scratch', scratch])
    expect(existsSync(join(clone, '.git/rigor/slurm', `${jobId}.sh`))).toBe(true)
    await cluster.waitForJob(jobId)

    const claims = actions(bare, 'claim')
    const verdicts = actions(bare, 'verdict')
    for (const id of ids(NODES)) {
      expect(claims.get(id), `${id} claims\n${taskLog(clone, jobId, 0)}`).toBe(1)
      expect(verdicts.get(id), `${id} verdicts`).toBe(1)
    }
    const fresh = join(root, 'fresh')
    git(root, 'clone', '-q', bare, fresh)
    const verify = rigor(fresh, ['verify'])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(json(rigor(fresh, ['status', '--json'])).by_status).toMatchObject({proven_accepted: NODES, running: 0, pending: 0})

    const status = json(cli(clone, ['slurm', 'status', jobId, '--json']))
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

  it('scancel mid-run: the workers put their claims back, supervise leaves nothing running, a new array finishes the rest', async () => {
    const {bare, clone, scratch} = remoteWorkspace(
      {nodes: ids(12, 'slow').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '2m'}}))},
      'slurm: {time: "00:10:00", grace: 30s}',
    )
    const env = {RIGOR_TEST_SLEEP_MS: '3000'}
    const first = submit(clone, ['--workers', '2', '--parallel', '2', '--scratch', scratch], env)
    await waitFor('two verdicts on the remote', () => actions(bare, 'verdict').size >= 2, 120_000)
    // Slurm's own cancel: SIGTERM to every process of each task, the runners included, SIGKILL after KillWait (30 s)
    cluster.run('scancel', [first])
    await cluster.waitForJob(first)
    const verdicts = actions(bare, 'verdict')
    const released = actions(bare, 'release')
    expect(released.size, 'the workers put their claims back on SIGTERM').toBeGreaterThan(0)
    // every claim ended in a verdict or was put back: nothing was left for a lease to expire
    const logs = () => [0, 1].map((task) => taskLog(clone, first, task)).join('\n---\n')
    for (const id of actions(bare, 'claim').keys())
      expect(verdicts.has(id) || released.has(id), `${id}\n${logs()}\n${git(bare, 'log', '--format=%s', 'main')}`).toBe(true)
    const supervised = json(cli(clone, ['supervise', '--once', '--remote', 'origin', '--json']))
    expect(supervised.health.running).toBe(0)
    expect(verdicts.size).toBeLessThan(12)
    // a runner killed by Slurm's SIGTERM is the worker stopping, not the node failing: no verdict but accepted ones
    expect(remoteStatus(bare)).toMatchObject({running: 0, pending: 12 - verdicts.size, proven_accepted: verdicts.size})

    const second = submit(clone, ['--workers', '2', '--parallel', '2', '--scratch', scratch], env)
    await cluster.waitForJob(second)
    const all = actions(bare, 'verdict')
    for (const id of ids(12, 'slow')) expect(all.get(id), id).toBe(1)
    expect(remoteStatus(bare)).toMatchObject({proven_accepted: 12, running: 0, pending: 0})
  })

  it('a task nearing its time limit stops its runners and puts its claims back before Slurm would kill it', async () => {
    const {bare, clone, scratch} = remoteWorkspace(
      {nodes: ids(4, 'long').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}}))},
      'slurm: {time: "00:01:00"}',
    )
    // one minute, of which the last 45 s are the grace: the worker leaves about 15 s after it starts
    const jobId = submit(clone, ['--workers', '1', '--parallel', '2', '--grace', '45s', '--scratch', scratch], {
      RIGOR_TEST_SLEEP_MS: '300000',
    })
    await cluster.waitForJob(jobId, 120_000)
    const log = taskLog(clone, jobId, 0)
    expect(actions(bare, 'claim').size, log).toBe(2)
    expect([...actions(bare, 'release').keys()].sort(), log).toEqual([...actions(bare, 'claim').keys()].sort())
    expect(actions(bare, 'verdict').size).toBe(0)
    expect(remoteStatus(bare)).toMatchObject({running: 0, pending: 4})
    const [task] = json(cli(clone, ['slurm', 'status', jobId, '--json'])).arrays[0].tasks
    // it left on its own, before the limit: not TIMEOUT
    expect(task.state, log).not.toBe('TIMEOUT')
    expect(log).toMatch(/stopped: (deadline|interrupted); 2 put back/)
  })

  it('rigor slurm cancel: pending tasks dropped, running workers stop gracefully and put their claims back', async () => {
    const {bare, clone, scratch} = remoteWorkspace(
      {nodes: ids(8, 'held').map((id) => ({id, team: 'default', run: {command: SLOW_RUNNER, timeout: '5m'}}))},
      'slurm: {time: "00:10:00"}',
    )
    // 5 tasks of 2 CPUs: 4 fit on the node, the fifth waits
    const jobId = submit(clone, ['--workers', '5', '--parallel', '1', '--cpus-per-task', '2', '--scratch', scratch], {
      RIGOR_TEST_SLEEP_MS: '300000',
    })
    await waitFor('4 claims on the remote', () => actions(bare, 'claim').size >= 4, 120_000)
    const cancelled = json(cli(clone, ['slurm', 'cancel', '--json']))
    expectOutput('slurm cancel', cancelled)
    expect(cancelled.cancelled).toEqual([{job_id: jobId, pending: ['4'], running: ['0', '1', '2', '3'], how: 'graceful'}])
    await cluster.waitForJob(jobId)
    expect([...actions(bare, 'release').keys()].sort()).toEqual([...actions(bare, 'claim').keys()].sort())
    expect(remoteStatus(bare)).toMatchObject({running: 0, pending: 8})
    const status = json(cli(clone, ['slurm', 'status', '--json']))
    expect(status.arrays[0].cancelled_at).toBeTruthy()
    for (const t of status.arrays[0].tasks.slice(0, 4)) expect(t.exit_code).toBe('143:0')
    expect(taskLog(clone, jobId, 0)).toMatch(/stopped: interrupted; \d+ put back/)
    // nothing left to cancel: exit 3
    expect(cli(clone, ['slurm', 'cancel']).code).toBe(3)
  })
})
