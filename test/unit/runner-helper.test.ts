import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {spawn} from 'node:child_process'
import type {Writable} from 'node:stream'
import {directLauncher, GATE_GO, launcherOver, type RunnerEnvironment, type RunnerLauncher} from '../../src/core/dag/launcher.js'
import {RunnerHelper} from '../../src/core/dag/runner-helper.js'
import {procInfo} from '../../src/core/proc.js'
import {probeSandbox, sandboxArgv} from '../../src/core/dag/sandbox.js'
import {alive, pidsWithEnv, readPids, waitFor, waitForPids} from '../helpers/processes.js'

let dir: string
let helper: RunnerHelper | undefined
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigor-launch-'))
})
afterEach(async () => {
  await helper?.close()
  helper = undefined
  rmSync(dir, {recursive: true, force: true})
})

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])

async function readyHelper(): Promise<RunnerHelper> {
  helper = RunnerHelper.start()
  // the helper runs the built program (npm test builds first): without it every launch would quietly be direct
  expect(await helper.whenReady).toBe(true)
  return helper
}

function launchSh(launcher: RunnerLauncher, script: string, marker?: string, env: RunnerEnvironment = {unset: [], set: {}}) {
  return launcher.launch({program: 'sh', args: ['-c', script], cwd: dir, env, logFile: join(dir, 'run.log'), marker})
}

/** A runner that records its pid and sleeps: started, and its pid read back. */
async function sleeper(launcher: RunnerLauncher) {
  const pids = join(dir, 'pids.txt')
  const run = launchSh(launcher, `echo $$ >> ${pids}; sleep 300`)
  const [runner] = await waitForPids(pids, 1)
  expect(await run.started).toBe(runner)
  return {run, runner: runner!}
}

describe.each([
  ['the runner helper', readyHelper],
  ['this process', async () => directLauncher],
  // the helper's own: its environment copied once
  ['this process over a copy of its environment', async () => launcherOver({...process.env})],
])('runners started by %s', (_name, make) => {
  it('write stdout and stderr into the log, lead their own group and report their exit code', async () => {
    const run = launchSh(await make(), 'echo out; echo err >&2; exit 3')
    const pid = await run.started
    expect(pid).toBeGreaterThan(0)
    expect(await run.exited).toEqual({code: 3, signal: null})
    expect(readFileSync(join(dir, 'run.log'), 'utf8')).toBe('out\nerr\n')
  })

  it('tell the start time of the process they started, as /proc shows it', async () => {
    const {run, runner} = await sleeper(await make())
    const start = run.startTime()
    expect(start).toBeGreaterThan(0)
    expect(start).toBe(procInfo(runner)!.startTime)
    process.kill(runner, 'SIGKILL')
    await run.exited
  })

  it("get the starting process's environment without the names unset, then the variables set over it", async () => {
    // the helper's environment is this process's, inherited when it started
    const inherited = process.env.PATH!
    const env = {unset: ['HOME', 'RIGOR_TEST_BOTH'], set: {RIGOR_TEST_SET: 'a b', RIGOR_TEST_BOTH: 'set wins', PATH: `${inherited}:/x`}}
    const run = launchSh(await make(), 'echo "${HOME-none}|$RIGOR_TEST_SET|$RIGOR_TEST_BOTH|$PATH"', undefined, env)
    expect(await run.exited).toEqual({code: 0, signal: null})
    expect(readFileSync(join(dir, 'run.log'), 'utf8')).toBe(`none|a b|set wins|${inherited}:/x\n`)
  })

  it('a program that does not exist: no pid, the reason in the exit', async () => {
    const launcher = await make()
    const run = launcher.launch({
      program: 'no-such-program-rigor',
      args: [],
      cwd: dir,
      env: {unset: [], set: {}},
      logFile: join(dir, 'run.log'),
    })
    expect(await run.started).toBeUndefined()
    const exit = await run.exited
    expect(exit.code).toBeNull()
    expect(exit.error).toContain('ENOENT')
  })

  it.each([
    ['an argument', {args: ['-c', 'tr\0ue'], set: {}}],
    ['an environment value', {args: ['-c', 'true'], set: {RIGOR_TEST_NUL: 'a\0b'}}],
  ])('a launch Node refuses (a NUL byte in %s): no pid, the reason in the exit, nothing thrown', async (_what, bad) => {
    const launcher = await make()
    const run = launcher.launch({program: 'sh', args: bad.args, cwd: dir, env: {unset: [], set: bad.set}, logFile: join(dir, 'run.log')})
    expect(await run.started).toBeUndefined()
    const exit = await run.exited
    expect(exit.code).toBeNull()
    expect(exit.error).toContain('null bytes')
    // the launcher goes on: the next run starts and exits as usual
    const next = launchSh(launcher, 'exit 4')
    expect(await next.exited).toEqual({code: 4, signal: null})
  })

  it('what the runner left in its group, or marked outside it, is killed before the exit is reported', async () => {
    const pids = join(dir, 'pids.txt')
    const marker = `RIGOR_TEST_MARK=${Math.random().toString(16).slice(2)}`
    // one child stays in the group, one leaves it (setsid) but carries the marker; the runner exits once both run
    const script = [
      `sleep 300 & echo $! >> ${pids}`,
      `env ${marker} setsid sh -c 'echo $$ >> ${pids}; exec sleep 301' &`,
      `while [ "$(wc -l < ${pids})" -lt 2 ]; do sleep 0.05; done`,
    ].join('\n')
    const run = launchSh(await make(), script, marker)
    const pgid = await run.started
    await run.exited
    const left = readPids(pids)
    expect(left).toHaveLength(2)
    await waitFor('the leftovers to be gone', () => !left.some(alive))
    expect(procInfo(pgid!)).toBeUndefined()
  })
})

describe('launcherOver', () => {
  it("a launcher over a given environment: its runners get that one, not this process's, held or not", async () => {
    const launcher = launcherOver({PATH: process.env.PATH, RIGOR_TEST_BASE: 'base', RIGOR_TEST_GONE: 'x'})
    const env = {unset: ['RIGOR_TEST_GONE'], set: {RIGOR_TEST_SET: 'set'}}
    const script = 'echo "${HOME-none}|$RIGOR_TEST_BASE|${RIGOR_TEST_GONE-gone}|$RIGOR_TEST_SET"'
    expect(await launchSh(launcher, script, undefined, env).exited).toEqual({code: 0, signal: null})
    const held = launcher.launch({program: 'sh', args: ['-c', script], cwd: dir, env, logFile: join(dir, 'held.log'), hold: 'spawn'})
    held.release(true)
    expect(await held.exited).toEqual({code: 0, signal: null})
    for (const log of ['run.log', 'held.log']) expect(readFileSync(join(dir, log), 'utf8')).toBe('none|base|gone|set\n')
  })
})

const HAS_BWRAP = (await probeSandbox()).ok

describe.each([
  ['the runner helper', readyHelper],
  ['this process', async () => directLauncher],
])('held runners started by %s', (_name, make) => {
  /** A runner that leaves a file behind, held until released; its processes carry a marker in their environment. */
  function heldRunner(launcher: RunnerLauncher, hold: 'fd3' | 'spawn') {
    const mark = `RIGOR_TEST_HELD=${Math.random().toString(16).slice(2)}`
    const ran = join(dir, 'ran')
    const script = `echo $$ > ${ran}; echo ran`
    const [program, args] =
      hold === 'fd3'
        ? sandboxArgv({root: dir, readable: [], writable: [dir], overlays: [], network: false}, 'sh', ['-c', script], {gateFd: 3})
        : ['sh', ['-c', script]]
    const [name, value] = mark.split('=') as [string, string]
    const log = join(dir, `run-${value}.log`)
    const run = launcher.launch({program, args, cwd: dir, env: {unset: [], set: {[name]: value}}, logFile: log, hold})
    return {run, mark, ran, log}
  }

  it.skipIf(!HAS_BWRAP)('fd3: the sandbox starts at once and waits; released, the runner runs in it', async () => {
    const {run, mark, ran, log} = heldRunner(await make(), 'fd3')
    // bwrap is up, holding: the runner has not run
    await waitFor('the held sandbox to start', () => pidsWithEnv(mark).length > 0)
    expect(existsSync(ran)).toBe(false)
    run.release(true)
    const pid = await run.started
    expect(pid).toBeGreaterThan(0)
    expect(await run.exited).toEqual({code: 0, signal: null})
    expect(readFileSync(log, 'utf8')).toBe('ran\n')
    expect(existsSync(ran)).toBe(true)
  })

  it.skipIf(!HAS_BWRAP)('fd3: ended without release, the waiting sandbox is killed and the runner never runs', async () => {
    const {run, mark, ran} = heldRunner(await make(), 'fd3')
    await waitFor('the held sandbox to start', () => pidsWithEnv(mark).length > 0)
    run.release(false)
    expect(await run.started).toBeUndefined()
    const exit = await run.exited
    expect(exit.signal, JSON.stringify(exit)).toBe('SIGKILL')
    await waitFor('nothing of it left', () => pidsWithEnv(mark).length === 0)
    expect(existsSync(ran)).toBe(false)
  })

  it('spawn: nothing starts until released; ended without release, nothing ever runs', async () => {
    const launcher = await make()
    const kept = heldRunner(launcher, 'spawn')
    expect(pidsWithEnv(kept.mark)).toEqual([])
    kept.run.release(true)
    expect(await kept.run.started).toBeGreaterThan(0)
    expect(await kept.run.exited).toEqual({code: 0, signal: null})
    expect(existsSync(kept.ran)).toBe(true)
    rmSync(kept.ran)
    const dropped = heldRunner(launcher, 'spawn')
    dropped.run.release(false)
    // a second word changes nothing (a spawn would have opened its log at once)
    dropped.run.release(true)
    expect(existsSync(dropped.log)).toBe(false)
    expect(await dropped.run.started).toBeUndefined()
    expect(await dropped.run.exited).toEqual({code: null, signal: null})
    expect(existsSync(dropped.ran)).toBe(false)
  })
})

describe.skipIf(!HAS_BWRAP)('the gate of a held sandbox', () => {
  // the launcher's end of the pipe closes when rigor or the runner helper is killed outright: that must start nothing
  const gated = (write: (gate: Writable) => void) => {
    const ran = join(dir, 'ran')
    const [program, args] = sandboxArgv(
      {root: dir, readable: [], writable: [dir], overlays: [], network: false},
      'sh',
      ['-c', `echo ran > ${ran}`],
      {
        gateFd: 3,
      },
    )
    const child = spawn(program, args, {cwd: dir, stdio: ['ignore', 'ignore', 'ignore', 'pipe']})
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    write(child.stdio[3] as Writable)
    return {exited, ran}
  }

  it('opens on "go" only: an end of file, or anything else, ends the sandbox with nothing run', async () => {
    for (const write of [(gate: Writable) => gate.end(), (gate: Writable) => gate.end('1'), (gate: Writable) => gate.end('gone\n')]) {
      const {exited, ran} = gated(write)
      expect(await exited).toBe(125)
      expect(existsSync(ran)).toBe(false)
    }
    const {exited, ran} = gated((gate) => gate.end(GATE_GO))
    expect(await exited).toBe(0)
    expect(readFileSync(ran, 'utf8')).toBe('ran\n')
  })
})

describe('the runner helper process', () => {
  it("is the runners' parent, and leaves when closed", async () => {
    const h = await readyHelper()
    const {run, runner} = await sleeper(h)
    expect(parentOf(runner)).toBe(h.pid)
    process.kill(-runner, 'SIGTERM')
    expect(await run.exited).toEqual({code: null, signal: 'SIGTERM'})
    const helperPid = h.pid!
    await h.close()
    expect(alive(helperPid)).toBe(false)
    expect(h.pid).toBeUndefined()
  })

  it('closed while it is still starting: it is killed at once, and never becomes ready', async () => {
    // nothing can be launched through a helper that has not said it is ready: such launches start here
    helper = RunnerHelper.start()
    const helperPid = helper.pid!
    await helper.close()
    expect(await helper.whenReady).toBe(false)
    expect(alive(helperPid)).toBe(false)
    expect(helper.pid).toBeUndefined()
  })

  it('a launch it cannot make fails alone: the helper stays, and the run beside it ends as it should', async () => {
    const h = await readyHelper()
    const helperPid = h.pid!
    const {run, runner} = await sleeper(h)
    const bad = h.launch({
      program: 'sh',
      args: ['-c', 'true'],
      cwd: dir,
      env: {unset: [], set: {BAD: 'a\0b'}},
      logFile: join(dir, 'bad.log'),
    })
    expect((await bad.exited).error).toContain('null bytes')
    expect(h.pid).toBe(helperPid)
    expect(alive(runner)).toBe(true)
    process.kill(-runner, 'SIGTERM')
    expect(await run.exited).toEqual({code: null, signal: 'SIGTERM'})
  })

  it('killed under a run: the run ends with the reason, its group is killed, and later runs start here', async () => {
    const h = await readyHelper()
    const {run, runner} = await sleeper(h)
    process.kill(h.pid!, 'SIGKILL')
    const exit = await run.exited
    expect(exit.error).toContain('runner helper')
    await waitFor('the orphaned runner to be killed', () => !alive(runner))
    const next = launchSh(h, 'echo $PPID')
    await next.exited
    expect(Number(readFileSync(join(dir, 'run.log'), 'utf8'))).toBe(process.pid)
  })
})
