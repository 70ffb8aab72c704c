import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {alive, waitFor} from '../helpers/processes.js'
import {cleanLeftoverRuns, RUN_MARKER, UNRECORDED_STALE_MS, writeRunRecord} from '../../src/core/dag/run-records.js'
import {procInfo} from '../../src/core/proc.js'

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
})
