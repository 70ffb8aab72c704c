import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {alive, waitFor} from '../helpers/processes.js'
import {directLauncher, type RunnerLauncher} from '../../src/core/dag/launcher.js'
import {cleanLeftoverRuns, RUN_MARKER, UNRECORDED_STALE_MS, writeRunRecord} from '../../src/core/dag/run-records.js'
import {runProcess} from '../../src/core/dag/runner.js'
import {procInfo} from '../../src/core/proc.js'
import type {NodeFile} from '../../src/core/schemas/index.js'

let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

function runDir(name: string, record?: object): string {
  const path = join(dir, name)
  mkdirSync(join(path, 'out'), {recursive: true})
  if (record) writeFileSync(join(path, 'run.json'), JSON.stringify(record))
  return path
}

const base = {node: 'a/b', attempt: 1, pgid: 999_999, sandbox: 'off', started_at: new Date().toISOString()}
// pid 2^22 is above Linux's pid_max default: no such process
const DEAD = 4_194_304

describe('leftover runs', () => {
  it('keeps runs of live workers, of other hosts, with unreadable records, or unrecorded and young; removes the rest', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-runs-'))
    runDir('live', {...base, run: 'live', host: hostname(), worker_pid: process.pid})
    runDir('elsewhere', {...base, run: 'elsewhere', host: 'another-host', worker_pid: DEAD})
    runDir('garbled', {oops: true})
    runDir('young')
    const old = runDir('old')
    const aged = new Date(Date.now() - UNRECORDED_STALE_MS - 60_000)
    utimesSync(old, aged, aged)
    runDir('dead', {...base, run: 'dead', host: hostname(), worker_pid: DEAD})
    const report = await cleanLeftoverRuns(dir)
    expect(report).toEqual({killed: [], removed: ['dead', 'old']})
    expect(readdirSync(dir).sort()).toEqual(['elsewhere', 'garbled', 'live', 'young'])
  })

  it("kills the processes of a dead worker's run: its group, and those carrying its RIGOR_RUN_ID", async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-runs-'))
    const path = runDir('gone')
    const grouped = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {detached: true, stdio: 'ignore'})
    const marked = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
      env: {...process.env, [RUN_MARKER]: 'gone'},
    })
    writeRunRecord(join(path, 'run.json'), {
      run: 'gone',
      node: 'a/b',
      attempt: 1,
      pgid: grouped.pid!,
      pgidStart: procInfo(grouped.pid!)?.startTime,
      sandbox: 'off',
    })
    // the record names this process as the worker: rewrite it as a dead one
    const record = JSON.parse(readFileSync(join(path, 'run.json'), 'utf8'))
    writeFileSync(join(path, 'run.json'), JSON.stringify({...record, worker_pid: DEAD}))
    const report = await cleanLeftoverRuns(dir)
    expect(report.removed).toEqual(['gone'])
    expect(report.killed[0]!.pids.sort()).toEqual([grouped.pid, marked.pid].sort())
    await waitFor('both processes to be gone', () => !alive(grouped.pid!) && !alive(marked.pid!), 10_000)
  })

  it("a dead worker's record written before the spawn (no group yet): its run's processes are found by RIGOR_RUN_ID", async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-runs-'))
    const path = runDir('early')
    const marked = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
      env: {...process.env, [RUN_MARKER]: 'early'},
    })
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {detached: true, stdio: 'ignore'})
    try {
      writeRunRecord(join(path, 'run.json'), {run: 'early', node: 'a/b', attempt: 1, pgid: undefined, pgidStart: undefined, sandbox: 'on'})
      const record = JSON.parse(readFileSync(join(path, 'run.json'), 'utf8'))
      expect(record).not.toHaveProperty('pgid')
      writeFileSync(join(path, 'run.json'), JSON.stringify({...record, worker_pid: DEAD}))
      const report = await cleanLeftoverRuns(dir)
      expect(report).toEqual({killed: [{run: 'early', node: 'a/b', pids: [marked.pid]}], removed: ['early']})
      await waitFor('the marked process to be gone', () => !alive(marked.pid!), 10_000)
      expect(alive(other.pid!)).toBe(true)
    } finally {
      other.kill('SIGKILL')
      marked.kill('SIGKILL')
    }
  })
})

describe('the run record', () => {
  it('is replaced whole (a new file renamed over it), so a worker killed while rewriting it cannot truncate it', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-runs-'))
    const file = join(runDir('whole'), 'run.json')
    const fields = {run: 'whole', node: 'a/b', attempt: 1, pgidStart: undefined, sandbox: 'off' as const}
    writeRunRecord(file, {...fields, pgid: undefined})
    const first = statSync(file).ino
    writeRunRecord(file, {...fields, pgid: 4242})
    // an in-place rewrite keeps the inode and passes through an empty file; a rename brings a new one
    expect(statSync(file).ino).not.toBe(first)
    expect(JSON.parse(readFileSync(file, 'utf8')).pgid).toBe(4242)
    expect(readdirSync(join(dir, 'whole')).sort()).toEqual(['out', 'run.json'])
  })

  it('exists, naming this worker, before the runner is launched; the group is added once it runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-runs-'))
    const file = join(dir, 'r1', 'run.json')
    const atLaunch: unknown[] = []
    // a launcher that looks at the record the moment it is asked to start the runner: a worker killed from here until
    // the pid comes back must still have left a record for `rigor supervise`
    const watching: RunnerLauncher = {
      launch(launch) {
        atLaunch.push(JSON.parse(readFileSync(file, 'utf8')))
        return directLauncher.launch(launch)
      },
    }
    const node = {id: 'unit/rec', params: {}, run: {command: ['true']}} as unknown as NodeFile
    const outcome = await runProcess({
      node,
      workspaceRoot: dir,
      outDir: join(dir, 'r1', 'out'),
      timeoutMs: 60_000,
      sandbox: {mode: 'off', network: false},
      record: {file, run: 'r1', attempt: 2},
      launcher: watching,
    })
    expect(outcome.exitCode).toBe(0)
    expect(atLaunch).toEqual([
      expect.objectContaining({run: 'r1', node: 'unit/rec', attempt: 2, worker_pid: process.pid, host: hostname()}),
    ])
    expect(atLaunch[0]).not.toHaveProperty('pgid')
    expect(JSON.parse(readFileSync(file, 'utf8')).pgid).toEqual(expect.any(Number))
  })
})
