import {spawnSync} from 'node:child_process'
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {runProcess, type RunRequest} from '../../src/core/dag/runner.js'
import {gitPaths, hostRuntime, probeSandbox, sandboxArgv} from '../../src/core/dag/sandbox.js'
import {sandboxFilter} from '../../src/core/dag/seccomp.js'
import type {NodeFile} from '../../src/core/schemas/index.js'

/** keyutils' `keyctl` (.ci/run installs it): the keyring tests need it and are skipped, saying so, without it */
const HAS_KEYCTL = spawnSync('keyctl', ['--version'], {stdio: 'ignore'}).status === 0
const KEYCTL_MISSING = ' (skipped: keyctl is not installed; apt-get install keyutils)'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/** Runs `script` (node -e) as a runner of a throwaway node and returns what it wrote to RIGOR_OUT/result. */
async function run(root: string, script: string, extra: Partial<RunRequest> = {}): Promise<{result: string; sandbox: string}> {
  const outDir = join(repo.dir, '.git', 'rigor', 'runs', `t${Math.random().toString(16).slice(2)}`, 'out')
  const node = {id: 'unit/probe', params: {}, run: {command: [process.execPath, '-e', script]}} as unknown as NodeFile
  const outcome = await runProcess({node, workspaceRoot: root, outDir, timeoutMs: 60_000, sandbox: {mode: 'on', network: false}, ...extra})
  expect(outcome.exitCode, readFileSync(join(outDir, 'run.log'), 'utf8')).toBe(0)
  return {result: readFileSync(join(outDir, 'result'), 'utf8'), sandbox: outcome.sandbox}
}

const REPORT = (expr: string) => `require('fs').writeFileSync(process.env.RIGOR_OUT + '/result', String(${expr}))`

describe('sandbox', () => {
  it('bwrap starts on this machine (the other tests rely on it)', async () => {
    expect(await probeSandbox()).toEqual({ok: true})
  })

  it('an overlay shows the overlaid file at its workspace path, read-only; the host file is unchanged', async () => {
    repo = gitRepo()
    mkdirSync(join(repo.dir, 'data'))
    writeFileSync(join(repo.dir, 'data', 'prices.csv'), 'date,close\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n')
    const visible = join(repo.dir, '.git', 'visible.csv')
    writeFileSync(visible, 'date,close\n2020-01-01,1\n')
    const target = join(repo.dir, 'data', 'prices.csv')
    const read = REPORT(`require('fs').readFileSync('data/prices.csv', 'utf8')`)
    const seen = await run(repo.dir, read, {overlays: [{source: visible, target}]})
    expect(seen).toEqual({result: 'date,close\n2020-01-01,1\n', sandbox: 'on'})
    expect(readFileSync(target, 'utf8')).toContain('2020-01-03')
    // without a sandbox overlays are ignored
    const plain = await run(repo.dir, read, {overlays: [{source: visible, target}], sandbox: {mode: 'off', network: false}})
    expect(plain).toEqual({result: readFileSync(target, 'utf8'), sandbox: 'off'})
  })

  it('in a linked worktree the .git file and the shared git directory are both hidden', async () => {
    repo = gitRepo()
    writeFileSync(join(repo.dir, 'a.txt'), 'a')
    repo.git('add', 'a.txt')
    repo.git('commit', '-qm', 'a')
    const tree = join(repo.dir, '..', `${repo.dir.split('/').pop()}-wt`)
    repo.git('worktree', 'add', '-q', '--detach', tree)
    try {
      const hidden = gitPaths(tree)
      expect(hidden.files).toEqual([join(tree, '.git')])
      expect(hidden.dirs).toEqual([join(repo.dir, '.git')])
      const common = JSON.stringify(join(repo.dir, '.git'))
      // /dev/null is bound over the .git file on a nodev mount: it cannot even be opened
      const dotGit = `(() => { try { return require('fs').readFileSync('.git', 'utf8').length } catch (e) { return e.code } })()`
      const probe = REPORT(
        `[${dotGit}, require('fs').existsSync(${common} + '/HEAD'), require('fs').existsSync(${common} + '/objects')].join(' ')`,
      )
      expect((await run(tree, probe)).result).toBe('EACCES false false')
    } finally {
      repo.git('worktree', 'remove', '--force', tree)
    }
  })

  it("the host's runtime directories: real directories only, links and missing paths left out; resolv.conf only when it points into one", () => {
    repo = gitRepo()
    const host = join(repo.dir, '.git', 'host')
    mkdirSync(join(host, 'run', 'systemd'), {recursive: true})
    mkdirSync(join(host, 'etc'))
    symlinkSync(join(host, 'run'), join(host, 'var-run'))
    writeFileSync(join(host, 'run', 'systemd', 'stub-resolv.conf'), 'nameserver 127.0.0.53\n')
    writeFileSync(join(host, 'etc', 'plain-resolv.conf'), 'nameserver 192.0.2.1\n')
    symlinkSync(join(host, 'run', 'systemd', 'stub-resolv.conf'), join(host, 'etc', 'resolv.conf'))
    const candidates = [join(host, 'run'), join(host, 'var-run'), join(host, 'missing')]
    expect(hostRuntime(candidates, join(host, 'etc', 'resolv.conf'))).toEqual({
      dirs: [join(host, 'run')],
      resolvConf: join(host, 'run', 'systemd', 'stub-resolv.conf'),
    })
    // a resolv.conf of its own, or none at all, is shown by the read-only root as it is
    expect(hostRuntime(candidates, join(host, 'etc', 'plain-resolv.conf'))).toEqual({dirs: [join(host, 'run')]})
    expect(hostRuntime(candidates, join(host, 'etc', 'none'))).toEqual({dirs: [join(host, 'run')]})
  })

  // a directory outside /tmp and the workspace stands for the host's /run: only the hiding can empty it
  const varTmpWritable = (() => {
    try {
      accessSync('/var/tmp', constants.W_OK)
      return true
    } catch {
      return false
    }
  })()
  it.skipIf(!varTmpWritable)('a runtime directory is shown empty and read-only; its resolv.conf comes back with the network only', () => {
    repo = gitRepo()
    const runtimeDir = mkdtempSync('/var/tmp/rigor-runtime-')
    try {
      writeFileSync(join(runtimeDir, 'resolv.conf'), 'nameserver 192.0.2.1\n')
      writeFileSync(join(runtimeDir, 'service.sock'), 'stands for a socket')
      const runtime = {dirs: [runtimeDir], resolvConf: join(runtimeDir, 'resolv.conf')}
      const script = `const fs = require('fs')
let write; try { fs.writeFileSync(${JSON.stringify(join(runtimeDir, 'planted'))}, 'x'); write = 'ok' } catch (e) { write = e.code }
process.stdout.write(JSON.stringify({entries: fs.readdirSync(${JSON.stringify(runtimeDir)}), write}))`
      const seen = (network: boolean) => {
        const spec = {root: repo.dir, readable: [], writable: [], overlays: [], network, runtime}
        const [program, args] = sandboxArgv(spec, process.execPath, ['-e', script])
        const result = spawnSync(program, args, {encoding: 'utf8'})
        expect(result.status, result.stderr).toBe(0)
        return JSON.parse(result.stdout)
      }
      expect(seen(false)).toEqual({entries: [], write: 'EROFS'})
      expect(seen(true)).toEqual({entries: ['resolv.conf'], write: 'EROFS'})
      // the host's own directory is untouched
      expect(readFileSync(join(runtimeDir, 'service.sock'), 'utf8')).toBe('stands for a socket')
    } finally {
      rmSync(runtimeDir, {recursive: true, force: true})
    }
  })

  it.skipIf(!HAS_KEYCTL)(
    `the key calls and user namespaces: refused by the seccomp program read from its descriptor; without one, a user namespace instead${HAS_KEYCTL ? '' : KEYCTL_MISSING}`,
    () => {
      repo = gitRepo()
      const filter = sandboxFilter()
      if (!filter) throw new Error(`no seccomp program for ${process.arch}: this test needs x64 or arm64`)
      const filterFile = join(repo.dir, '..', `${repo.dir.split('/').pop()}-seccomp.bpf`)
      writeFileSync(filterFile, filter)
      const spec = {root: repo.dir, readable: [], writable: [], overlays: [], network: false}
      const key = `rigor-unit-probe-${process.pid}`
      const script = `added=$(keyctl add user ${key} x @u 2>&1); echo "$added"; readlink /proc/self/ns/user; unshare -U true 2>&1 && echo made || true`
      const inSandbox = (fds: {seccompFd?: number}) => {
        const [program, args] = sandboxArgv(spec, '/bin/sh', ['-c', script], fds)
        const fd = fds.seccompFd === undefined ? 'ignore' : openSync(filterFile, 'r')
        try {
          const result = spawnSync(program, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd]})
          expect(result.status, result.stderr).toBe(0)
          const [added, userNamespace, nested] = result.stdout.trim().split('\n')
          return {added, userNamespace, nested, argv: args}
        } finally {
          if (typeof fd === 'number') closeSync(fd)
        }
      }
      try {
        const hostUserNamespace = readlinkSync('/proc/self/ns/user')
        const filtered = inSandbox({seccompFd: 3})
        expect(filtered.added).toMatch(/Function not implemented/)
        expect(filtered.nested).toMatch(/Operation not permitted/)
        expect(filtered.argv).toContain('--seccomp')
        expect(filtered.argv).not.toContain('--unshare-user-try')
        const unfiltered = inSandbox({})
        expect(unfiltered.argv).not.toContain('--seccomp')
        expect(unfiltered.argv).toContain('--unshare-user-try')
        // its own user namespace, so its own user keyring: the key is made there, and the host's has none
        expect(unfiltered.added).toMatch(/^\d+$/)
        expect(unfiltered.userNamespace).not.toBe(hostUserNamespace)
        // and there a runner may make one of its own (what the program refuses)
        expect(unfiltered.nested).toBe('made')
        expect(spawnSync('keyctl', ['search', '@u', 'user', key]).status).not.toBe(0)
      } finally {
        rmSync(filterFile, {force: true})
      }
    },
  )
})
