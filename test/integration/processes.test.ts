import {existsSync, readFileSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {alive, pidsWithEnv, readPids, runDirs, sleep, SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'
import {procInfo} from '../../src/core/proc.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const FIXTURES = resolve(__dirname, '../fixtures')
const DAEMON = ['node', join(FIXTURES, 'daemon-runner.cjs')]
const FOREVER = ['node', join(FIXTURES, 'forever-runner.cjs')]

/** Every runner of this workspace: RIGOR_WORKSPACE is in each runner's (and bwrap's) environment. */
const runnersOf = (dir: string) => pidsWithEnv(`RIGOR_WORKSPACE=${dir}`)
const readyRuns = (dir: string) => runDirs(dir).filter((run) => existsSync(join(dir, '.git/rigor/runs', run, 'out/ready')))

/** Seeds the spec and commits it, so `git status` is clean unless rigor leaves something. */
function seedCommitted(spec: unknown): void {
  writeSpec(repo.dir, spec)
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  repo.git('add', 'spec.yaml')
  repo.git('commit', '-qm', 'spec')
}

describe('a runner never outlives its run', {timeout: SLOW}, () => {
  it('a child the runner forked (in its group or in a session of its own) is killed when the runner exits, though it held stdout open', async () => {
    repo = workspace()
    seedCommitted({
      nodes: [
        {
          id: 'd/grouped',
          team: 'default',
          run: {command: DAEMON, sandbox: 'off', timeout: '10m', env: {RIGOR_TEST_FILE: join(repo.dir, '.git', 'grouped.out')}},
        },
        {
          id: 'd/detached',
          team: 'default',
          run: {
            command: DAEMON,
            sandbox: 'off',
            timeout: '10m',
            env: {RIGOR_TEST_FILE: join(repo.dir, '.git', 'detached.out'), RIGOR_TEST_DETACH: '1'},
          },
        },
      ],
    })
    // a run that waited for the pipes to close would last the 10-minute timeout: the test's own timeout fails first
    const work = await rigorAsync(repo.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(json(work).by_status).toEqual({proven_accepted: 2})
    for (const name of ['grouped', 'detached']) {
      const file = join(repo.dir, '.git', `${name}.out`)
      const pid = Number(readFileSync(`${file}.pid`, 'utf8'))
      await waitFor(`the ${name} child ${pid} to be gone`, () => !alive(pid))
      const size = statSync(file).size
      await sleep(300)
      expect(statSync(file).size, `${name} file still growing`).toBe(size)
    }
  })

  it('in the sandbox, a forked child dies with the runner', async () => {
    repo = workspace()
    seedCommitted({nodes: [{id: 'd/boxed', team: 'default', run: {command: DAEMON, timeout: '10m', env: {RIGOR_TEST_DETACH: '1'}}}]})
    const work = await rigorAsync(repo.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)
    await waitFor('no process of the run left', () => runnersOf(repo.dir).length === 0)
    expect(json(rigor(repo.dir, ['show', 'd/boxed', '--json'])).verdict.sandbox).toBe('on')
  })

  it('SIGKILL of the worker: in the sandbox its runner processes go with it; supervise removes the run directory', async () => {
    repo = workspace()
    seedCommitted({nodes: [{id: 'k/boxed', team: 'default', run: {command: FOREVER}}]})
    const worker = rigorAsync(repo.dir, ['work'])
    await waitFor('the runner to be ready', () => readyRuns(repo.dir).length === 1)
    // the runner and its child (a sandbox of the run's own adds bwrap and the namespace's init; a kept one's have
    // rigor's environment, not the run's)
    expect(runnersOf(repo.dir).length).toBeGreaterThanOrEqual(2)
    worker.kill('SIGKILL')
    await worker
    await waitFor('the sandboxed runner processes to die with the worker', () => runnersOf(repo.dir).length === 0)
    const [run] = runDirs(repo.dir)
    const sup = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(sup.runs).toEqual({killed: [], removed: [run]})
    expect(runDirs(repo.dir)).toEqual([])
  })

  it('SIGKILL of the worker without the sandbox: supervise kills the leftover run group and removes its run directory, and leaves live workers alone', async () => {
    repo = workspace()
    const pidsFile = join(repo.dir, '.git', 'pids.txt')
    seedCommitted({nodes: [{id: 'k/plain', team: 'default', run: {command: FOREVER, sandbox: 'off', env: {RIGOR_PIDS_FILE: pidsFile}}}]})
    const worker = rigorAsync(repo.dir, ['work'])
    await waitFor('the runner to be ready', () => readyRuns(repo.dir).length === 1 && readPids(pidsFile).length === 2)
    const [run] = runDirs(repo.dir)
    const record = JSON.parse(readFileSync(join(repo.dir, '.git/rigor/runs', run!, 'run.json'), 'utf8'))
    expect(record).toMatchObject({node: 'k/plain', attempt: 1, worker_pid: worker.pid, sandbox: 'off'})
    // the runner helper read the group leader's start time, the worker its own: a reused pid is told apart by them
    expect(record.pgid_start).toBe(procInfo(record.pgid)!.startTime)
    expect(record.worker_start).toBe(procInfo(worker.pid!)!.startTime)
    // the worker is alive: its run is not a leftover
    expect(json(rigor(repo.dir, ['supervise', '--once', '--json'])).runs).toEqual({killed: [], removed: []})
    expect(runDirs(repo.dir)).toEqual([run])

    worker.kill('SIGKILL')
    await worker
    const pids = readPids(pidsFile)
    expect(pids.every(alive)).toBe(true)
    const sup = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(sup.runs.removed).toEqual([run])
    expect(sup.runs.killed).toHaveLength(1)
    expect(sup.runs.killed[0]).toMatchObject({run, node: 'k/plain'})
    expect(sup.runs.killed[0].pids).toEqual(expect.arrayContaining(pids))
    await waitFor('the leftover runner processes to be gone', () => !pids.some(alive))
    expect(runDirs(repo.dir)).toEqual([])
  })

  // work --restarted took the claim back and ran the node again while the killed worker's runner still ran: two runs
  // of one node at once, the old one never stopped (nor its run directory removed) until a supervise came by
  it('SIGKILL of the worker without the sandbox, then work --restarted: the earlier run is killed before its node runs again', async () => {
    repo = workspace()
    const pidsFile = join(repo.dir, '.git', 'pids.txt')
    seedCommitted({nodes: [{id: 'k/again', team: 'default', run: {command: FOREVER, sandbox: 'off', env: {RIGOR_PIDS_FILE: pidsFile}}}]})
    const first = rigorAsync(repo.dir, ['work', '--worker', 'box-1'])
    await waitFor('the first runner to be ready', () => readyRuns(repo.dir).length === 1 && readPids(pidsFile).length === 2)
    const [oldRun] = runDirs(repo.dir)
    first.kill('SIGKILL')
    await first
    const oldPids = readPids(pidsFile)
    expect(oldPids.every(alive)).toBe(true)

    const again = rigorAsync(repo.dir, ['work', '--worker', 'box-1', '--restarted'])
    try {
      await waitFor('the second runner to be ready', () => readPids(pidsFile).length === 4)
      expect(again.output()).toContain('took back from an earlier run of box-1: k/again')
      expect(again.output()).toMatch(/killed leftover run \S+ of k\/again: pids/)
      await waitFor('the earlier runner processes to be gone', () => !oldPids.some(alive))
      expect(runDirs(repo.dir)).not.toContain(oldRun)
    } finally {
      // a failure leaves nothing running: the earlier runner's group, and the new worker (which stops its own)
      try {
        process.kill(-oldPids[0]!, 'SIGKILL')
      } catch {
        // gone: the fix killed it
      }
      again.kill('SIGTERM')
    }
    const done = await again
    expect(done.code, done.stderr).toBe(143)
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status).toMatchObject({running: 0, pending: 1})
  })
})
