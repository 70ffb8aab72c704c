import {execFileSync, spawnSync} from 'node:child_process'
import {accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {BIN, json, rigor, rigorAsync} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {SH_OK} from '../fixtures/runners.js'
import {workspace, writeSpec} from './helpers.js'

/** keyutils' `keyctl` (.ci/run installs it): the keyring tests need it and are skipped, saying so, without it */
const HAS_KEYCTL = spawnSync('keyctl', ['--version'], {stdio: 'ignore'}).status === 0
const KEYCTL_MISSING = ' (skipped: keyctl is not installed; apt-get install keyutils)'

let repo: TempRepo
let server: Server | undefined
afterEach(() => {
  server?.close()
  server = undefined
  repo?.cleanup()
})

const FIXTURES = resolve(__dirname, '../fixtures')

/** A runner that tries each thing and reports what happened in its verdict's notes (as JSON). */
const PROBE = [
  process.execPath,
  '-e',
  `const fs = require('fs')
const out = process.env.RIGOR_OUT
const r = {}
const attempt = (name, fn) => { try { fn(); r[name] = 'ok' } catch (e) { r[name] = e.code || e.message } }
attempt('write_config', () => fs.writeFileSync('rigor.yaml', 'version: 1\\ngates: []\\n'))
attempt('write_verdict', () => fs.writeFileSync('experiments/other/verdict.yaml', 'status: proven_accepted\\n'))
attempt('write_new', () => fs.writeFileSync('planted.txt', 'x'))
attempt('write_git', () => fs.writeFileSync('.git/HEAD', 'ref: refs/heads/evil\\n'))
attempt('write_git_new', () => fs.writeFileSync('.git/hooks/post-commit', 'x'))
attempt('read_git', () => fs.readFileSync('.git/HEAD'))
attempt('read_git_config', () => fs.readFileSync('.git/config'))
attempt('read_config', () => fs.readFileSync('rigor.yaml'))
attempt('write_out', () => fs.writeFileSync(out + '/mine.txt', 'mine'))
attempt('write_tmp', () => { fs.writeFileSync('/tmp/scratch', 'x'); fs.readFileSync('/tmp/scratch') })
fs.writeFileSync(out + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes: JSON.stringify(r)}))`,
]

/**
 * A runner (node -e) that runs `body` with `key` (params.key), `execFileSync` and a record `r`,
 * and reports `r` as its verdict's notes (as JSON).
 */
const stateRunner = (body: string) => [
  process.execPath,
  '-e',
  `const {execFileSync} = require('child_process')
const {key} = JSON.parse(process.env.RIGOR_PARAMS)
const r = {}
${body}
require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes: JSON.stringify(r)}))`,
]

/**
 * A runner that tries to leave state outside its writable places where the kernel keeps it past
 * its exit: a System V shared memory segment, and a key named params.key in the user keyring and
 * in the session keyring it inherited.
 */
const LEAVE_STATE =
  stateRunner(`const attempt = (name, fn) => { try { r[name] = fn() } catch (e) { r[name] = 'failed: ' + (e.stderr || e.message) } }
attempt('shm', () => execFileSync('ipcmk', ['-M', '4096'], {encoding: 'utf8'}).trim())
attempt('user_key', () => execFileSync('keyctl', ['add', 'user', key, 'kept between runs', '@u'], {encoding: 'utf8'}).trim())
attempt('session_key', () => execFileSync('keyctl', ['add', 'user', key, 'kept between runs', '@s'], {encoding: 'utf8'}).trim())`)

/** A runner that looks for what LEAVE_STATE left: the System V segments it sees and the key params.key. */
const FIND_STATE =
  stateRunner(`r.segments = execFileSync('ipcs', ['-m'], {encoding: 'utf8'}).split('\\n').filter((line) => /^0x/.test(line)).length
for (const ring of ['@u', '@s']) try { r[ring] = execFileSync('keyctl', ['search', ring, 'user', key], {encoding: 'utf8'}).trim() } catch { r[ring] = 'not found' }`)

/** The ids of this host's System V shared memory segments, as `ipcs -m` lists them. */
function hostSegments(): string[] {
  const listing = execFileSync('ipcs', ['-m'], {encoding: 'utf8'})
  return listing
    .split('\n')
    .filter((line) => /^0x/.test(line))
    .map((line) => line.split(/\s+/)[1] ?? '')
}

/** Whether this host's user keyring (as this test process sees it) holds a user key named `name`. */
function hostHasKey(name: string): boolean {
  try {
    execFileSync('keyctl', ['search', '@u', 'user', name], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/**
 * `rigor work` in a session keyring of its own, as under Docker (runc gives each container one), a
 * systemd service or a login with pam_keyinit: every process it starts inherits that keyring.
 */
function workInSessionKeyring(dir: string): number {
  const args = ['session', '-', process.execPath, BIN, 'work']
  return spawnSync('keyctl', args, {cwd: dir, env: {...process.env, ...GIT_ENV}, stdio: 'ignore'}).status ?? 1
}

/**
 * A runner that tries to make a user namespace of its own (util-linux `unshare -U`), and starts a
 * worker thread and a child process, which glibc makes through clone3 where it may and through
 * clone where clone3 is refused; reports each as its verdict's notes (as JSON).
 */
const NAMESPACE_PROBE = [
  process.execPath,
  '-e',
  `const {execFileSync} = require('child_process')
const {Worker} = require('worker_threads')
const r = {}
try { execFileSync('unshare', ['-U', 'true'], {stdio: ['ignore', 'ignore', 'pipe']}); r.unshare = 'ok' } catch (e) { r.unshare = String(e.stderr).trim() }
r.child = execFileSync('sh', ['-c', 'echo started'], {encoding: 'utf8'}).trim()
new Worker("require('worker_threads').parentPort.postMessage('started')", {eval: true}).on('message', (m) => {
  r.worker = m
  require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes: JSON.stringify(r)}))
  process.exit(0)
})`,
]

/** A runner that connects to 127.0.0.1:params.port and reports whether it could. */
const CONNECT = [
  process.execPath,
  '-e',
  `const {port} = JSON.parse(process.env.RIGOR_PARAMS)
const done = (notes) => { require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes})); process.exit(0) }
const socket = require('net').connect(port, '127.0.0.1', () => { socket.write('hello'); socket.end(); done('connected') })
socket.on('error', (e) => done('error ' + e.code))
setTimeout(() => done('timeout'), 10000)`,
]

/** A runner that connects to the Unix socket params.socket, looks at /run and /etc/resolv.conf, and reports what it found. */
const RUNTIME_PROBE = [
  process.execPath,
  '-e',
  `const fs = require('fs')
const {socket} = JSON.parse(process.env.RIGOR_PARAMS)
const r = {}
const attempt = (name, fn) => { try { r[name] = fn() } catch (e) { r[name] = e.code || e.message } }
attempt('run_entries', () => fs.readdirSync('/run').length)
attempt('write_run', () => { fs.writeFileSync('/run/planted', 'x'); return 'ok' })
attempt('resolv_conf', () => fs.existsSync('/etc/resolv.conf') && fs.readFileSync('/etc/resolv.conf').length >= 0)
const done = (connect) => { r.connect = connect; fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes: JSON.stringify(r)})); process.exit(0) }
const conn = require('net').connect(socket, () => { conn.write('hello'); conn.end(); done('connected') })
conn.on('error', (e) => done(e.code))
setTimeout(() => done('timeout'), 10000)`,
]

/** Whether this test process may make a socket in the host's /run (root, as in CI). */
function runWritable(): boolean {
  try {
    accessSync('/run', constants.W_OK)
    return true
  } catch {
    return false
  }
}

const verdictOf = (id: string) => json(rigor(repo.dir, ['show', id, '--json'])).verdict

/** A bwrap on PATH that cannot start, as on a machine without user namespaces. */
function brokenBwrapPath(): string {
  const dir = join(repo.dir, '.git', 'fake-bin')
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'bwrap'), '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n')
  chmodSync(join(dir, 'bwrap'), 0o755)
  return `${dir}:${process.env.PATH}`
}

describe('the runner sandbox', {timeout: SLOW}, () => {
  it('a runner cannot write the workspace or .git, nor read .git; it writes RIGOR_OUT and a private /tmp', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'other', team: 'default', run: {command: SH_OK}, priority: 2},
        {id: 'probe', team: 'default', run: {command: PROBE}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    repo.git('add', 'spec.yaml')
    repo.git('commit', '-qm', 'spec')
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    const otherVerdict = () => readFileSync(join(repo.dir, 'experiments/other/verdict.yaml'), 'utf8')
    expect(rigor(repo.dir, ['work', '--max-nodes', '1']).code).toBe(0)
    const before = otherVerdict()
    const headBefore = readFileSync(join(repo.dir, '.git/HEAD'), 'utf8')

    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const verdict = verdictOf('probe')
    expect(verdict.sandbox).toBe('on')
    const r = JSON.parse(verdict.notes)
    for (const write of ['write_config', 'write_verdict', 'write_new', 'write_git']) expect(r[write], write).toBe('EROFS')
    // .git inside is an empty read-only directory: its hooks/ is not even there
    expect(['EROFS', 'ENOENT']).toContain(r.write_git_new)
    expect(r.read_git).toBe('ENOENT')
    expect(r.read_git_config).toBe('ENOENT')
    expect(r.read_config).toBe('ok')
    expect(r.write_out).toBe('ok')
    expect(r.write_tmp).toBe('ok')
    expect(verdict.artifacts).toHaveProperty('out/mine.txt')

    expect(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')).toBe(config)
    expect(otherVerdict()).toBe(before)
    expect(readFileSync(join(repo.dir, '.git/HEAD'), 'utf8')).toBe(headBefore)
    expect(readFileSafe(join(repo.dir, '.git/hooks/post-commit'))).toBe(false)
    expect(repo.git('status', '--porcelain')).toBe('')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it.skipIf(!HAS_KEYCTL)(
    `a run leaves nothing a later run or the host can read: System V IPC of its own, the key calls refused${HAS_KEYCTL ? '' : KEYCTL_MISSING}`,
    () => {
      repo = workspace()
      const key = `rigor-probe-${process.pid}-${Date.now()}`
      writeSpec(repo.dir, {
        nodes: [
          {id: 'state/leave', team: 'default', run: {command: LEAVE_STATE}, params: {key}, priority: 2},
          {id: 'state/find', team: 'default', run: {command: FIND_STATE}, params: {key}},
        ],
      })
      expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
      const segmentsBefore = hostSegments()
      try {
        // one worker, one slot: the leaving run, then the looking one, both under the same session keyring
        expect(workInSessionKeyring(repo.dir)).toBe(0)
        const left = JSON.parse(verdictOf('state/leave').notes)
        // a segment is made, in the run's own IPC namespace; the key calls are refused outright (seccomp)
        expect(left.shm).toMatch(/^Shared memory id: \d+$/)
        expect(left.user_key).toMatch(/Function not implemented/)
        expect(left.session_key).toMatch(/Function not implemented/)
        expect(hostSegments()).toEqual(segmentsBefore)
        expect(hostHasKey(key)).toBe(false)
        const found = JSON.parse(verdictOf('state/find').notes)
        expect(found).toEqual({segments: 0, '@u': 'not found', '@s': 'not found'})
      } finally {
        // a failing run of this test must not leave the host a segment or a key
        for (const id of hostSegments()) if (!segmentsBefore.includes(id)) execFileSync('ipcrm', ['-m', id])
        if (hostHasKey(key)) execFileSync('keyctl', ['purge', '-s', 'user', key], {stdio: 'ignore'})
      }
    },
  )

  it('a runner cannot make a user namespace of its own; its threads and child processes still start', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [{id: 'userns', team: 'default', run: {command: NAMESPACE_PROBE}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const verdict = verdictOf('userns')
    expect(verdict.sandbox).toBe('on')
    expect(JSON.parse(verdict.notes)).toEqual({
      unshare: expect.stringMatching(/Operation not permitted/),
      child: 'started',
      worker: 'started',
    })
  })

  it('the network is off inside unless the node says network: true', async () => {
    repo = workspace()
    const connections: string[] = []
    server = createServer((socket) => socket.on('data', (d) => connections.push(d.toString())))
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done))
    const port = (server.address() as {port: number}).port
    writeSpec(repo.dir, {
      nodes: [
        {id: 'net/off', team: 'default', run: {command: CONNECT}, params: {port}},
        {id: 'net/on', team: 'default', run: {command: CONNECT, network: true}, params: {port, other: 1}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = await rigorAsync(repo.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(verdictOf('net/off').notes).toMatch(/^error /)
    expect(verdictOf('net/on').notes).toBe('connected')
    await waitFor('the connection from net/on', () => connections.length === 1)
    expect(connections).toEqual(['hello'])
  })

  it.skipIf(!runWritable())(
    "a host service's Unix socket under /run is out of reach, with or without the network; /run is empty and read-only",
    async () => {
      repo = workspace()
      const socket = `/run/rigor-test-${process.pid}-${Date.now()}.sock`
      const connections: string[] = []
      server = createServer((conn) => conn.on('data', (d) => connections.push(d.toString())))
      await new Promise<void>((done) => server!.listen(socket, done))
      try {
        writeSpec(repo.dir, {
          nodes: [
            {id: 'sock/off', team: 'default', run: {command: RUNTIME_PROBE}, params: {socket}},
            {id: 'sock/net', team: 'default', run: {command: RUNTIME_PROBE, network: true}, params: {socket, net: 1}},
            {id: 'sock/plain', team: 'default', run: {command: RUNTIME_PROBE, sandbox: 'off'}, params: {socket, plain: 1}},
          ],
        })
        expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
        const work = await rigorAsync(repo.dir, ['work', '--json'])
        expect(work.code, work.stderr).toBe(0)
        for (const id of ['sock/off', 'sock/net']) {
          const verdict = verdictOf(id)
          expect(verdict.sandbox).toBe('on')
          const r = JSON.parse(verdict.notes)
          expect(r, id).toMatchObject({connect: 'ENOENT', run_entries: 0, write_run: 'EROFS'})
          // systemd-resolved's /etc/resolv.conf points into /run: with the network, name lookups still have it
          if (id === 'sock/net') expect(r.resolv_conf).toBe(existsSync('/etc/resolv.conf'))
        }
        // the same runner without the sandbox reaches it: the socket was there to be reached
        expect(JSON.parse(verdictOf('sock/plain').notes).connect).toBe('connected')
        await waitFor('the connection from sock/plain', () => connections.length === 1)
        expect(connections).toEqual(['hello'])
      } finally {
        server?.close()
        server = undefined
        rmSync(socket, {force: true})
      }
    },
  )

  it('SIGTERM reaches the runner through bwrap: a cancelled sandboxed runner finishes its handler', async () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [{id: 'c/polite', team: 'default', run: {command: ['node', join(FIXTURES, 'forever-runner.cjs')]}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const worker = rigorAsync(repo.dir, ['work', '--json'])
    await waitFor('the runner to be ready', () =>
      runDirs(repo.dir).some((run) => readFileSafe(join(repo.dir, '.git/rigor/runs', run, 'out/ready'))),
    )
    expect(json(rigor(repo.dir, ['cancel', 'c/polite', '--json'])).stopping).toEqual(['c/polite'])
    expect((await worker).code).toBe(0)
    const verdict = verdictOf('c/polite')
    expect(verdict).toMatchObject({status: 'cancelled', sandbox: 'on'})
    // written by the runner's SIGTERM handler: it was not SIGKILLed along with bwrap
    expect(verdict.artifacts).toHaveProperty('out/term')
  })

  // in the sandbox a mistyped program was bwrap's exec failing: 'exited with code 1', where without one the same node
  // said the runner could not start and why; the reason now says so either way, and names the program
  it('a program that does not exist or cannot be executed: the runner could not start, in the sandbox as without it', () => {
    repo = workspace()
    const script = join(repo.dir, 'not-executable.sh')
    writeFileSync(script, '#!/bin/sh\nexit 0\n')
    const nodes = ['on', 'off'].flatMap((sandbox) => [
      {id: `${sandbox}/missing`, team: 'default', run: {command: ['/nonexistent/train-model'], sandbox}},
      {id: `${sandbox}/not-executable`, team: 'default', run: {command: [script], sandbox}},
    ])
    writeSpec(repo.dir, {nodes})
    repo.git('add', 'not-executable.sh')
    repo.git('commit', '-qm', 'script')
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    for (const sandbox of ['on', 'off']) {
      expect(verdictOf(`${sandbox}/missing`)).toMatchObject({status: 'inconclusive', sandbox})
      expect(verdictOf(`${sandbox}/missing`).reason).toMatch(/^the runner could not start: .*\/nonexistent\/train-model/)
      expect(verdictOf(`${sandbox}/not-executable`).reason).toMatch(/^the runner could not start: .*not-executable\.sh/)
    }
  })

  it('sandbox: off runs without one and records it; auto without a working bwrap warns once and records off; on fails the run', () => {
    repo = workspace()
    const outside = join(repo.dir, '.git', 'outside.txt')
    const writesOutside = [
      process.execPath,
      '-e',
      `require('fs').appendFileSync(${JSON.stringify(outside)}, 'x'); require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', '{"metrics": {"sharpe": 1}}')`,
    ]
    writeSpec(repo.dir, {nodes: [{id: 'off/plain', team: 'default', run: {command: writesOutside, sandbox: 'off'}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    expect(verdictOf('off/plain').sandbox).toBe('off')
    expect(readFileSync(outside, 'utf8')).toBe('x')

    const PATH = brokenBwrapPath()
    writeSpec(
      repo.dir,
      {
        nodes: [
          {id: 'auto/a', team: 'default', run: {command: SH_OK}},
          {id: 'auto/b', team: 'default', run: {command: SH_OK}, params: {b: 1}},
        ],
      },
      'auto.yaml',
    )
    rigor(repo.dir, ['seed', 'auto.yaml'])
    const auto = rigor(repo.dir, ['work'], {PATH})
    expect(auto.code, auto.stderr).toBe(0)
    expect(auto.stderr.match(/runners run without a sandbox/g)).toHaveLength(1)
    expect(auto.stderr).toContain('No permissions to create new namespace')
    expect(verdictOf('auto/a')).toMatchObject({status: 'proven_accepted', sandbox: 'off'})
    expect(verdictOf('auto/b').sandbox).toBe('off')

    writeSpec(repo.dir, {nodes: [{id: 'on/strict', team: 'default', run: {command: SH_OK, sandbox: 'on'}}]}, 'on.yaml')
    rigor(repo.dir, ['seed', 'on.yaml'])
    expect(rigor(repo.dir, ['work'], {PATH}).code).toBe(0)
    const strict = verdictOf('on/strict')
    expect(strict.status).toBe('inconclusive')
    expect(strict.reason).toContain('bwrap cannot start')
    expect(strict.sandbox).toBe('off')
  })

  it('rigor.yaml runner.sandbox: off is the default a node can override; a bad mode is exit 2 naming the field', () => {
    repo = workspace()
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${config.trimEnd()}\nrunner: {sandbox: off}\n`)
    repo.git('commit', '-qam', 'no sandbox')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'd/plain', team: 'default', run: {command: SH_OK}},
        {id: 'd/boxed', team: 'default', run: {command: SH_OK, sandbox: 'auto'}, params: {x: 1}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    expect(verdictOf('d/plain').sandbox).toBe('off')
    expect(verdictOf('d/boxed').sandbox).toBe('on')
    const parsed = parse(readFileSync(join(repo.dir, 'experiments/d/boxed/node.yaml'), 'utf8'))
    expect(parsed.run.sandbox).toBe('auto')

    writeSpec(repo.dir, {nodes: [{id: 'd/bad', team: 'default', run: {command: SH_OK, sandbox: 'maybe'}}]}, 'bad.yaml')
    const bad = rigor(repo.dir, ['seed', 'bad.yaml'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('sandbox')
  })
})

function readFileSafe(path: string): boolean {
  try {
    readFileSync(path)
    return true
  } catch {
    return false
  }
}
