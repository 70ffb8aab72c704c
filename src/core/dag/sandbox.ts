/**
 * The runner sandbox: Debian's bubblewrap (`bwrap`). Inside, `/` and the
 * workspace are read-only, the repository's git directories and the host's
 * runtime directories (its services' sockets) are hidden, and RIGOR_OUT and a
 * private /tmp are the only writable places; the network is off unless asked
 * for; System V IPC is its own, and the key calls and user namespaces are
 * refused (seccomp.ts); the whole PID namespace dies with the worker.
 */
import {spawn} from 'node:child_process'
import {lstatSync, readFileSync, realpathSync, statSync} from 'node:fs'
import {isAbsolute, resolve} from 'node:path'
import type {Readable, Writable} from 'node:stream'
import type {SandboxMode} from '../schemas/index.js'
import {feedDescriptor, GATE_GO} from './launcher.js'
import {sandboxFilter} from './seccomp.js'

export interface SandboxPolicy {
  mode: SandboxMode
  network: boolean
}

export interface Overlay {
  /** a host file */
  source: string
  /** the path inside the sandbox it is shown at, read-only */
  target: string
}

/** rigor.yaml's `runner:` defaults, overridden by a node's own `run:`. */
export function sandboxPolicy(
  defaults: {sandbox: SandboxMode; network: boolean},
  run: {sandbox?: SandboxMode; network?: boolean},
): SandboxPolicy {
  return {mode: run.sandbox ?? defaults.sandbox, network: run.network ?? defaults.network}
}

type Probe = {ok: true} | {ok: false; reason: string}
// bounded cache: whether bwrap starts here does not change while a command runs
let probed: Promise<Probe> | undefined

const BWRAP = 'bwrap'
/** how long the probe's stderr may stay open after bwrap exited */
const PROBE_CLOSE_WAIT_MS = 1000
/**
 * System V IPC and POSIX message queues of its own (`--unshare-ipc`): the kernel keeps them past a process's exit,
 * outside the file system, and a run could leave data there that a later run reads (a strategy's in-sample answers
 * for its audit on altered data). Keys are the other such store: see filterFlags.
 */
const BASE_FLAGS = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--cap-drop', 'ALL']

/**
 * The seccomp program on `seccompFd` refuses the key calls and user namespaces of a runner's own (seccomp.ts). On a
 * machine rigor has no program for, a user namespace at least makes the user keyring the run's own (bwrap makes one
 * anyway for a user other than root; `-try` keeps a setuid bwrap without them working), though a session keyring
 * inherited from whoever started rigor stays shared there, and a runner can make namespaces of its own.
 */
function filterFlags(seccompFd: number | undefined): string[] {
  return seccompFd === undefined ? ['--unshare-user-try'] : ['--seccomp', String(seccompFd)]
}

/** Whether bwrap can start a sandbox like the runners' on this machine; asked once per process. */
export function probeSandbox(): Promise<Probe> {
  probed ??= new Promise<Probe>((done) => {
    const filter = sandboxFilter()
    const args = [
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      '--unshare-net',
      ...BASE_FLAGS,
      ...filterFlags(filter ? 3 : undefined),
      '--',
      'true',
    ]
    // its own process group: a Ctrl-C on the terminal while it starts must not kill it halfway (a bwrap killed before
    // its child set --die-with-parent leaves that child behind, holding stderr open)
    const child = spawn(BWRAP, args, {stdio: ['ignore', 'ignore', 'pipe', filter ? 'pipe' : 'ignore'], detached: true})
    feedDescriptor(child.stdio[3] as Writable | null, filter)
    const childStderr = child.stderr as Readable
    let stderr = ''
    let closeTimer: NodeJS.Timeout | undefined
    childStderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', (err: NodeJS.ErrnoException) =>
      done({ok: false, reason: err.code === 'ENOENT' ? 'bwrap is not installed (apt-get install bubblewrap)' : `bwrap: ${err.message}`}),
    )
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(closeTimer)
      if (code === 0) done({ok: true})
      else
        done({
          ok: false,
          reason: stderr.trim().split('\n')[0] || (signal ? `bwrap was killed by ${signal}` : `bwrap exited with code ${code}`),
        })
    }
    // the answer is its exit; its message is read until stderr closes, which a process it left behind may delay forever
    child.on('exit', (code, signal) => {
      closeTimer = setTimeout(() => {
        childStderr.destroy()
        settle(code, signal)
      }, PROBE_CLOSE_WAIT_MS)
    })
    child.on('close', settle)
  })
  return probed
}

export type SandboxDecision = {use: true} | {use: false; fallback?: string} | {use: false; error: string}

/** on: bwrap or an error for the run; auto: bwrap where it starts, otherwise no sandbox and a warning; off: none. */
export async function decideSandbox(policy: SandboxPolicy): Promise<SandboxDecision> {
  if (policy.mode === 'off') return {use: false}
  const probe = await probeSandbox()
  if (probe.ok) return {use: true}
  if (policy.mode === 'on') return {use: false, error: `runner sandbox is on but bwrap cannot start here: ${probe.reason}`}
  return {
    use: false,
    fallback:
      `runners run without a sandbox: bwrap cannot start here (${probe.reason}); they can write the working tree and reach the network. ` +
      'Install bubblewrap, or set runner.sandbox: off in rigor.yaml to say so deliberately.',
  }
}

export interface SandboxSpec {
  /** the workspace root: read-only inside, and the runner's cwd */
  root: string
  /** host paths the runner reads outside the workspace (e.g. the auditor's altered data), read-only */
  readable: string[]
  /** the only writable host paths (RIGOR_OUT) */
  writable: string[]
  overlays: Overlay[]
  network: boolean
  /** directories under the host's /tmp shown again, read-only, before anything else (rigor itself, when installed there) */
  shownDirs?: string[]
  /** the host's runtime directories, hidden (see hostRuntime; this host's when not given) */
  runtime?: HostRuntime
}

/**
 * Where the host's services listen: `/run` (and `/var/run` where it is a
 * directory of its own rather than a link to `/run`) holds the Unix sockets of
 * the Docker daemon, systemd, D-Bus and the session's agents
 * (`/run/user/<uid>`). A read-only bind does not stop a connect() to a socket,
 * and the network namespace does not cover path sockets, so a runner that may
 * use the Docker socket could start a container that writes the repository.
 * These directories are shown empty instead. `resolvConf` is /etc/resolv.conf's
 * target when it lies in one of them (systemd-resolved's stub), shown again
 * when the runner has the network.
 */
export interface HostRuntime {
  dirs: string[]
  resolvConf?: string
}

const RUNTIME_DIRS = ['/run', '/var/run']
const RESOLV_CONF = '/etc/resolv.conf'

/** This host's runtime directories; the paths looked at are parameters for the tests. */
export function hostRuntime(candidates: readonly string[] = RUNTIME_DIRS, resolvPath = RESOLV_CONF): HostRuntime {
  const dirs = candidates.filter((dir) => {
    try {
      return lstatSync(dir).isDirectory()
    } catch {
      return false
    }
  })
  let target: string | undefined
  try {
    target = realpathSync(resolvPath)
  } catch {
    target = undefined
  }
  const resolvConf = target && dirs.some((dir) => target.startsWith(`${dir}/`)) ? target : undefined
  return resolvConf ? {dirs, resolvConf} : {dirs}
}

/**
 * The bwrap argv around a runner's own argv. Mounts apply in order: the
 * private /tmp first, then what is shown again inside it, then the hidden git
 * directories, then what the runner reads or writes (which may lie inside
 * them: the paper run's data and RIGOR_OUT live under .git), then the overlays.
 * No --new-session: node's detached spawn already gives the runner a session
 * without a controlling terminal, and a second session would take the runner
 * out of the process group rigor signals.
 */
export function sandboxArgv(
  spec: SandboxSpec,
  program: string,
  args: string[],
  fds: {gateFd?: number; seccompFd?: number; privateDirs?: {tmp: string; shm: string}; asPid1?: boolean} = {},
): [string, string[]] {
  // a kept sandbox's /tmp and /dev/shm are host directories rigor empties between runs (sandbox-slot.ts)
  const own = fds.privateDirs
  const argv = own
    ? ['--ro-bind', '/', '/', '--dev', '/dev', '--bind', own.shm, '/dev/shm', '--proc', '/proc', '--bind', own.tmp, '/tmp']
    : ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp']
  // before everything a runner must see: the workspace, its data or RIGOR_OUT may lie under them
  const runtime = spec.runtime ?? hostRuntime()
  for (const dir of runtime.dirs) argv.push('--perms', '0555', '--tmpfs', dir)
  if (spec.network && runtime.resolvConf) argv.push('--ro-bind', runtime.resolvConf, runtime.resolvConf)
  // before the workspace and its hidden .git: a directory shown here cannot show that .git again
  for (const dir of spec.shownDirs ?? []) argv.push('--ro-bind', dir, dir)
  argv.push('--ro-bind', spec.root, spec.root)
  const hidden = gitPaths(spec.root)
  for (const dir of hidden.dirs) argv.push('--perms', '0555', '--tmpfs', dir)
  for (const file of hidden.files) argv.push('--ro-bind', '/dev/null', file)
  for (const path of spec.readable) argv.push('--ro-bind', path, path)
  for (const path of spec.writable) argv.push('--bind', path, path)
  // read-only only now: bwrap had to create the mount points of the paths shown inside them
  for (const dir of [...runtime.dirs, ...hidden.dirs]) argv.push('--remount-ro', dir)
  for (const overlay of spec.overlays) argv.push('--ro-bind', overlay.source, overlay.target)
  if (!spec.network) argv.push('--unshare-net')
  // a kept sandbox's /dev lives as long as it does: nothing a run makes there may wait for the next one
  if (own) argv.push('--remount-ro', '/dev')
  // the launcher itself is pid 1, not bwrap's own init, which a runner could write into (it is dumpable)
  if (fds.asPid1) argv.push('--as-pid-1')
  // bwrap reads the seccomp program from its descriptor and closes it before the runner starts
  argv.push(...BASE_FLAGS, ...filterFlags(fds.seccompFd), '--chdir', spec.root, '--')
  // set up now, run the runner when "go" arrives on this descriptor (see RunnerLaunch.hold)
  if (fds.gateFd !== undefined) argv.push(...gatedArgv(fds.gateFd, program, args))
  else argv.push(program, ...args)
  return [BWRAP, argv]
}

/**
 * The runner's argv behind a gate: a shell, already up in the sandbox, reads a
 * line from `fd` and replaces itself with the runner (same pid, the gate's
 * descriptor closed) only when the line is "go". bwrap's own --block-fd takes
 * an end of file for a go: a rigor (or runner helper) killed outright closes
 * the pipe, and under load the sandbox ran its runner before the kill meant for
 * it arrived. Here an end of file ends the sandbox with nothing run.
 */
function gatedArgv(fd: number, program: string, args: string[]): string[] {
  const script = `IFS= read -r gate <&${fd}; [ "$gate" = ${GATE_GO.trim()} ] || exit 125; exec "$@" ${fd}<&-`
  return ['/bin/sh', '-c', script, program, program, ...args]
}

/**
 * The repository's git directories as seen from a checkout: `.git` itself
 * (a directory, or in a linked worktree a file naming the worktree's git dir),
 * and the shared git directory a worktree's objects and refs live in.
 */
export function gitPaths(root: string): {dirs: string[]; files: string[]} {
  const dotGit = resolve(root, '.git')
  const kind = fileKind(dotGit)
  if (kind === 'dir') return {dirs: [dotGit], files: []}
  if (kind !== 'file') return {dirs: [], files: []}
  const dirs: string[] = []
  const gitDir = pointer(readText(dotGit), /^gitdir:\s*(.+)$/m, root)
  if (gitDir && fileKind(gitDir) === 'dir') {
    const common = pointer(readText(resolve(gitDir, 'commondir')), /^(.+)$/m, gitDir)
    const commonDir = common && fileKind(common) === 'dir' ? common : undefined
    if (commonDir) dirs.push(commonDir)
    if (!commonDir || !gitDir.startsWith(commonDir + '/')) dirs.push(gitDir)
  }
  return {dirs, files: [dotGit]}
}

function pointer(text: string | undefined, pattern: RegExp, base: string): string | undefined {
  const value = text?.match(pattern)?.[1]?.trim()
  if (!value) return undefined
  return isAbsolute(value) ? resolve(value) : resolve(base, value)
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function fileKind(path: string): 'dir' | 'file' | undefined {
  try {
    const stat = statSync(path)
    return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : undefined
  } catch {
    return undefined
  }
}

/**
 * The files a runner must read that the private /tmp or the hidden .git would
 * hide (the auditor's altered data lives under the host's /tmp, the paper
 * run's under .git). Files only: a directory bound again could show the .git
 * beneath it. A missing one is left out: bwrap would refuse to start, and the
 * runner reports a missing file better.
 */
export function readablePaths(root: string, paths: Array<string | undefined>): string[] {
  const seen = new Set<string>()
  for (const path of paths) {
    if (!path) continue
    const full = resolve(root, path)
    if (fileKind(full) === 'file') seen.add(full)
  }
  return [...seen]
}
