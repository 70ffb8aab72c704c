import {type ChildProcess, spawn} from 'node:child_process'
import {afterEach, describe, expect, it} from 'vitest'
import {forkCount, killMarked, pidsAfter, procInfo} from '../../src/core/proc.js'
import {alive, waitFor} from '../helpers/processes.js'

const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL')
})

/** A sleeping process of its own session (out of every group rigor would kill) with these extra variables. */
function sleeperWith(env: Record<string, string>): number {
  const child = spawn('sleep', ['300'], {detached: true, stdio: 'ignore', env: {...process.env, ...env}})
  started.push(child)
  return child.pid!
}

describe('killMarked', () => {
  it('kills exactly the processes whose environment holds the entry, wherever it sits and however large the environment', async () => {
    const marker = `RIGOR_RUN_ID=proc-test-${process.pid}`
    const [name, value] = marker.split('=') as [string, string]
    const marked = sleeperWith({[name]: value})
    // an environment larger than the sweep's buffer (64 KiB), the entry after it
    const large = sleeperWith({AAA_FILLER: 'x'.repeat(100 * 1024), [name]: value})
    // entries that contain the marker without being it are left alone
    const longer = sleeperWith({[name]: `${value}0`})
    const suffix = sleeperWith({[`X${name}`]: value})
    const unmarked = sleeperWith({})
    // (a process that is already a zombie when looked at is not listed: a freshly killed one may be)
    for (const pid of killMarked(marker)) expect([marked, large]).toContain(pid)
    await waitFor('the marked sleepers to die', () => !alive(marked) && !alive(large))
    for (const pid of [longer, suffix, unmarked]) expect(alive(pid)).toBe(true)
  })

  it("given the runner's start, leaves marked processes started before it alone (and reads only the newer ones)", async () => {
    const marker = `RIGOR_RUN_ID=proc-since-${process.pid}`
    const [name, value] = marker.split('=') as [string, string]
    const older = sleeperWith({[name]: value})
    const olderStart = procInfo(older)!.startTime
    // start times are in clock ticks (10 ms): the newer one must start a tick later
    let newer = sleeperWith({[name]: value})
    while (procInfo(newer)!.startTime <= olderStart) {
      await new Promise((r) => setTimeout(r, 20))
      newer = sleeperWith({[name]: value})
    }
    // no count of started processes: the start times decide
    const killed = killMarked(marker, {pid: newer, startTime: procInfo(newer)!.startTime})
    expect(killed).not.toContain(older)
    await waitFor('the newer marked sleeper to die', () => !alive(newer))
    expect(alive(older)).toBe(true)
    // without a start, every marked process is found (one already a zombie when looked at is not listed)
    killMarked(marker)
    await waitFor('the older marked sleeper to die', () => !alive(older))
  })

  it('given the count of processes started before the runner, reads only the pids handed out after its own', async () => {
    const marker = `RIGOR_RUN_ID=proc-window-${process.pid}`
    const [name, value] = marker.split('=') as [string, string]
    const forks = forkCount()
    expect(forks).toBeGreaterThan(0)
    const runner = sleeperWith({})
    const left = sleeperWith({[name]: value})
    killMarked(marker, {pid: runner, startTime: procInfo(runner)!.startTime, forks})
    await waitFor('the marked process started after the runner to die', () => !alive(left))
    // as many processes started since as there are pids: the counter may have gone round, the start times decide
    const again = sleeperWith({[name]: value})
    killMarked(marker, {pid: runner, startTime: procInfo(runner)!.startTime, forks: forks! - 10_000_000})
    await waitFor('the marked process to die', () => !alive(again))
  })
})

describe('pidsAfter', () => {
  it('the pids handed out after the runner, up to the last one, going round once', () => {
    const inOrder = pidsAfter(1000, 1200)
    expect([999, 1000, 1001, 1200, 1201, 400].map(inOrder)).toEqual([false, false, true, true, false, false])
    // the counter went round: after 32767 came 301
    const wrapped = pidsAfter(32_700, 350)
    expect([32_699, 32_700, 32_701, 32_767, 301, 350, 351, 1000].map(wrapped)).toEqual([false, false, true, true, true, true, false, false])
  })
})
