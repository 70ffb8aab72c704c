import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {COMMAND_MARKER, runConfiguredCommand} from '../../src/core/configured-command.js'
import {alive, readPids, SLOW, waitFor} from '../helpers/processes.js'

let dir: string
/** pids the commands wrote, killed after each test whatever it found */
let pidFile: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigor-configured-'))
  pidFile = join(dir, 'pids')
})
afterEach(() => {
  for (const pid of readPids(pidFile)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone, as it should be
    }
  }
  rmSync(dir, {recursive: true, force: true})
})

/** `sh -c script` in the test's directory; `$PIDS` is where the script writes the pids it starts. */
const sh = (script: string, more: Partial<Parameters<typeof runConfiguredCommand>[0]> = {}) =>
  runConfiguredCommand({argv: ['sh', '-c', script], cwd: dir, env: {PIDS: pidFile}, timeoutMs: 120_000, ...more})

describe('runConfiguredCommand', {timeout: SLOW}, () => {
  it('returns when the command exits, and kills what it left running, even holding its output', async () => {
    const result = await sh('sleep 300 & echo $! >> "$PIDS"; setsid sleep 300 & echo $! >> "$PIDS"; echo shipped; echo warned >&2')
    expect(result).toMatchObject({exitCode: 0, timedOut: false, canceled: false, stdout: 'shipped\n', stderr: 'warned\n'})
    expect(result.all).toContain('shipped\n')
    expect(result.all).toContain('warned\n')
    const pids = readPids(pidFile)
    expect(pids).toHaveLength(2)
    // the second left the command's session (setsid): its inherited marker found it
    expect([...result.leftBehind].sort()).toEqual([...pids].sort())
    await waitFor('the left processes gone', () => pids.every((pid) => !alive(pid)))
  })

  it('what it left in its process group is killed even without the marker', async () => {
    const result = await sh(
      'env -i sh -c \'echo $$ >> "$0"; exec sleep 300\' "$PIDS" & while [ ! -s "$PIDS" ]; do sleep 0.05; done; echo started',
    )
    expect(result.stdout).toBe('started\n')
    const [unmarked] = readPids(pidFile)
    expect(result.leftBehind).toContain(unmarked)
    await waitFor('the unmarked process gone', () => !alive(unmarked!))
  })

  it('a timeout stops the command and its children, politely first', async () => {
    const result = await sh(
      // the command's trap waits for its child's: once the command has exited, what is left is killed at once
      `trap 'echo stopping >&2; wait $c; exit 7' TERM; sh -c 'trap "echo child-stopping >&2; exit 0" TERM; sleep 300 & wait' & c=$!; echo $c >> "$PIDS"; sleep 300 & wait`,
      {timeoutMs: 1_000},
    )
    expect(result.timedOut).toBe(true)
    // the SIGTERM reached the command's own trap and its child's
    expect(result.stderr).toContain('stopping')
    expect(result.stderr).toContain('child-stopping')
    for (const pid of readPids(pidFile)) await waitFor(`pid ${pid} gone`, () => !alive(pid))
  })

  it('a cancel stops it as a timeout does, and one before the start runs nothing', async () => {
    const controller = new AbortController()
    const running = sh('sleep 300 & echo $! >> "$PIDS"; wait', {signal: controller.signal})
    await waitFor('the child started', () => readPids(pidFile).length === 1)
    controller.abort('SIGTERM')
    const result = await running
    expect(result).toMatchObject({canceled: true, timedOut: false, exitCode: null, signal: 'SIGTERM'})
    await waitFor('the child gone', () => !alive(readPids(pidFile)[0]!))

    const before = await sh('echo ran > ran', {signal: controller.signal})
    expect(before.canceled).toBe(true)
    expect(readPids(join(dir, 'ran'))).toEqual([])
  })

  it('does not wait on a pipe held by a process that shed the marker (which it cannot find)', async () => {
    // env -i: no marker, setsid: not in the command's group either; it keeps stdout open for 300 s
    // the command waits for the pid: until `env -i` has run, the escapee still carries the marker and would be found
    const result = await sh(
      'env -i setsid sh -c \'echo $$ >> "$0"; exec sleep 300\' "$PIDS" & while [ ! -s "$PIDS" ]; do sleep 0.05; done; echo started',
    )
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe('started\n')
    expect(readPids(pidFile)).toHaveLength(1)
    // not found: it carries no marker (afterEach kills it)
    expect(result.leftBehind).toEqual([])
  })

  it('feeds stdin, marks the environment, reports a missing program and keeps the start of a long output', async () => {
    // the signing key's path stays with rigor, as it does from runners
    process.env.RIGOR_SIGNING_KEY = join(dir, 'auditor-key')
    const fed = await runConfiguredCommand({
      argv: ['sh', '-c', `cat; printf ' %s' "$${COMMAND_MARKER}"; printf ' [%s]' "$RIGOR_SIGNING_KEY"`],
      cwd: dir,
      input: 'the prompt',
      timeoutMs: 60_000,
    }).finally(() => delete process.env.RIGOR_SIGNING_KEY)
    expect(fed.stdout).toMatch(/^the prompt [0-9a-f-]{36} \[\]$/)

    const missing = await runConfiguredCommand({argv: [join(dir, 'no-such-program')], cwd: dir, timeoutMs: 60_000})
    expect(missing.spawnError).toContain('ENOENT')
    expect(missing.exitCode).toBeNull()

    const long = await runConfiguredCommand({argv: ['sh', '-c', 'seq 1 100000'], cwd: dir, timeoutMs: 60_000, maxBytes: 1000})
    expect(long.truncated).toBe(true)
    expect(long.stdout.startsWith('1\n2\n3\n')).toBe(true)
    expect(long.stdout.length).toBe(1000)
    expect(long.all.endsWith('99999\n100000\n')).toBe(true)
  })

  it.each([
    ['SIGTERM', 1],
    ['SIGINT', 2],
  ] as const)(
    'a %s on a process that does not handle it stops its %i command(s) first, then ends it as it would have',
    async (signal, count) => {
      // the built module in a process of its own, as a command without withAbort runs it
      const module = pathToFileURL(resolve(__dirname, '../../dist/core/configured-command.js')).href
      const script = `const {runConfiguredCommand} = await import(${JSON.stringify(module)})
      for (let i = 0; i < ${count}; i++)
        runConfiguredCommand({argv: ['sh', '-c', 'sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', 'c', process.argv[1]], cwd: '/', timeoutMs: 600000})`
      const host = spawn(process.execPath, ['--input-type=module', '-e', script, pidFile], {stdio: 'ignore'})
      const exited = new Promise<NodeJS.Signals | null>((done) => host.on('exit', (_code, sig) => done(sig)))
      await waitFor('the commands started', () => readPids(pidFile).length === 2 * count)
      host.kill(signal)
      expect(await exited).toBe(signal)
      for (const pid of readPids(pidFile)) await waitFor(`pid ${pid} gone`, () => !alive(pid))
    },
  )

  it('under a handler of its own (withAbort), a first SIGINT leaves the command running and the handler leaving ends it', async () => {
    const module = pathToFileURL(resolve(__dirname, '../../dist/core/configured-command.js')).href
    // as withAbort does: the first signal is the command's to handle, the second leaves at once
    const script = `const {appendFileSync} = await import('node:fs')
      let seen = 0
      process.on('SIGINT', () => (++seen === 2 ? process.exit(130) : appendFileSync(process.argv[1] + '.first', 'x')))
      const {runConfiguredCommand} = await import(${JSON.stringify(module)})
      runConfiguredCommand({argv: ['sh', '-c', 'sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', 'c', process.argv[1]], cwd: '/', timeoutMs: 600000})`
    const host = spawn(process.execPath, ['--input-type=module', '-e', script, pidFile], {stdio: 'ignore'})
    const exited = new Promise<number | null>((done) => host.on('exit', (code) => done(code)))
    await waitFor('the command started', () => readPids(pidFile).length === 2)
    host.kill('SIGINT')
    await waitFor('the first SIGINT handled', () => existsSync(`${pidFile}.first`))
    for (const pid of readPids(pidFile)) expect(alive(pid)).toBe(true)
    host.kill('SIGINT')
    expect(await exited).toBe(130)
    for (const pid of readPids(pidFile)) await waitFor(`pid ${pid} gone`, () => !alive(pid))
  })
})
