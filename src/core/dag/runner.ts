import {randomBytes} from 'node:crypto'
import {lstatSync, mkdirSync} from 'node:fs'
import {appendFile, open, writeFile} from 'node:fs/promises'
import {join, resolve, sep} from 'node:path'
import {tmpdir} from 'node:os'
import ms from 'ms'
import {readBoundedJson, type CutString} from './bounded-json.js'
import {InputError} from '../errors.js'
import {MAX_LISTED_OMISSIONS, outDirProblem, RUN_LOG, VERDICT_JSON} from './outputs.js'
import {signalGroup, signalGroupExcept, signalProcess, type RunGroups} from '../proc.js'
import {directLauncher, type RunnerEnvironment, type RunnerLauncher} from './launcher.js'
import {RUN_MARKER, writeRunRecord} from './run-records.js'
import {decideSandbox, readablePaths, sandboxArgv, type Overlay, type SandboxPolicy, type SandboxSpec} from './sandbox.js'
import {sandboxFilter} from './seccomp.js'
import {RunnerVerdict, type NodeFile, type Omission, type RunnerLimits, type Truncation} from '../schemas/index.js'
import {controlsEscaped, invisibleEscaped, metricNameProblem, parseDuration, printable, quoted} from '../validation.js'
import {packageRoot} from '../package-root.js'

export {RUN_LOG, VERDICT_JSON} from './outputs.js'
/** the grace between SIGTERM and SIGKILL when a run is stopped */
export const KILL_GRACE_MS = 3000

const PACKAGE_ROOT = packageRoot(import.meta.url)
const RIGOR_BIN = join(PACKAGE_ROOT, 'bin', 'run.js')

export interface RunRequest {
  node: NodeFile
  workspaceRoot: string
  outDir: string
  timeoutMs: number
  seed?: number
  /** data path override: the auditor points RIGOR_DATA at altered copies */
  dataPath?: string
  extraEnv?: Record<string, string>
  /** aborting stops the process tree (cancel, shutdown, lost lease) */
  signal?: AbortSignal
  /** rigor.yaml's runner defaults merged with the node's run: (see sandboxPolicy) */
  sandbox: SandboxPolicy
  /** told when `auto` finds no working sandbox (the caller says it once per command) */
  warn?: (message: string) => void
  /** host files shown read-only at paths inside the sandbox; ignored without a sandbox */
  overlays?: Overlay[]
  /** host directories the sandboxed runner may read where they are (the run's staged inputs) */
  readableDirs?: string[]
  /** where to write run.json for `rigor supervise`, and the run's name (RIGOR_RUN_ID; otherwise a random one) */
  record?: {file: string; run: string; attempt: number}
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /** called once the runner's process has started */
  onStarted?: () => void
  /**
   * The run waits for this before its runner starts (true) or ends without
   * starting it (false): a node claimed ahead is made ready, its sandbox set
   * up, while the slot that will run it is still busy. Its time, and the
   * timeout, count from the start.
   */
  startGate?: Promise<boolean>
  /** where the process is started: this process unless told (a work loop passes its RunnerHelper) */
  launcher?: RunnerLauncher
  /**
   * Where kept sandboxes live (sandbox-slots.ts): a work loop's runs may share
   * a sandbox kept from run to run where the launcher keeps them.
   */
  slotsDir?: string
}

export interface ProcessOutcome {
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  aborted: boolean
  durationMs: number
  spawnError?: string
  /** the run could not be followed to its end after it started (a kept sandbox that ended under it) */
  runError?: string
  /** whether the runner ran in the bwrap sandbox */
  sandbox: 'on' | 'off'
  /** `sandbox: on` and bwrap cannot start: the runner was not started */
  sandboxError?: string
  /** the start gate said no: the runner never ran */
  notStarted?: boolean
  /** when the runner started (epoch ms), or when it was found it would not */
  startedAt: number
}

/**
 * `rigor` as a runner's program is this rigor; installed under /tmp (a CI
 * job's temp dir), its files and its dependencies (the node_modules it was
 * installed into, hoisted beside it) must stay visible under the sandbox's private /tmp.
 */
function rigorInstallUnderTmp(): string[] {
  if (!PACKAGE_ROOT.startsWith('/tmp/') && !PACKAGE_ROOT.startsWith(`${resolve(tmpdir())}/`)) return []
  const parts = PACKAGE_ROOT.split(sep)
  const modules = parts.lastIndexOf('node_modules')
  return [modules > 0 ? parts.slice(0, modules + 1).join(sep) : PACKAGE_ROOT]
}

/** `rigor` as a runner's program means this very rigor, whatever is on PATH. */
export function resolveCommand(command: string[]): [string, string[]] {
  const [program, ...args] = command
  if (program === 'rigor') return [process.execPath, [RIGOR_BIN, ...args]]
  return [program!, args]
}

/** A node's run timeout in milliseconds; node files are validated when read, so a bad value here is a bug. */
export function parseTimeout(value: string | number | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs
  const parsed = parseDuration(value)
  if (!parsed.ok)
    throw new InputError(`run.timeout: ${parsed.problem}`, {field: 'run.timeout', fix: 'write a duration such as 90s, 10m, 2h'})
  return parsed.value
}

/**
 * Runs a node's command with the runner protocol's environment (argv, never a
 * shell) in its own process group, inside the sandbox when there is one. A
 * timeout or a cancel stops the whole tree: SIGTERM first, SIGKILL after a
 * grace period. When the runner's own process exits, whatever it left running
 * in its group is killed at once: nothing a runner forks outlives its run.
 * Output goes to run.log through a file descriptor the runner holds: nothing
 * here drains pipes. `req.launcher` says which process starts it.
 */
export async function runProcess(req: RunRequest): Promise<ProcessOutcome> {
  mkdirSync(req.outDir, {recursive: true})
  const decision = await decideSandbox(req.sandbox)
  if ('fallback' in decision && decision.fallback) req.warn?.(decision.fallback)
  if ('error' in decision) {
    const go = await startWhen(req.startGate, req.signal)
    const ended = {exitCode: null, signal: null, timedOut: false, aborted: false, durationMs: 0, startedAt: Date.now()}
    if (!go) return {...ended, sandbox: 'off', notStarted: true}
    await writeFile(join(req.outDir, RUN_LOG), `rigor: ${decision.error}\n`)
    return {...ended, sandbox: 'off', sandboxError: decision.error}
  }
  const sandboxed = decision.use
  const runId = req.record?.run ?? randomBytes(6).toString('hex')
  const data = req.dataPath ?? (req.node.data ? resolve(req.workspaceRoot, req.node.data) : undefined)
  const env = runnerEnv(req, runId, sandboxed, data)
  const [command, commandArgs] = resolveCommand(req.node.run.command)
  const seccomp = sandboxed ? sandboxFilter() : undefined
  const spec: SandboxSpec = {
    root: req.workspaceRoot,
    readable: [...readablePaths(req.workspaceRoot, [data]), ...(req.readableDirs ?? [])],
    writable: [req.outDir],
    overlays: req.overlays ?? [],
    network: req.sandbox.network,
    shownDirs: rigorInstallUnderTmp(),
  }
  const [program, args] = sandboxed
    ? sandboxArgv(spec, command, commandArgs, {gateFd: req.startGate ? 3 : undefined, seccompFd: seccomp ? 4 : undefined})
    : [command, commandArgs]
  const slot =
    sandboxed && req.slotsDir
      ? {spec: {...spec, writable: []}, slotsDir: req.slotsDir, outDir: req.outDir, argv: [command, ...commandArgs]}
      : undefined

  const record = (pgid: number | undefined, pgidStart: number | undefined) => {
    if (!req.record) return
    try {
      writeRunRecord(req.record.file, {
        run: req.record.run,
        node: req.node.id,
        attempt: req.record.attempt,
        pgid,
        pgidStart,
        sandbox: sandboxed ? 'on' : 'off',
      })
    } catch {
      // without its record a leftover is still found by RIGOR_RUN_ID once the directory is stale
    }
  }
  // before the spawn: the runner helper reports the pid a message later, and a worker killed in between must still
  // leave a record that names it (run-records.ts)
  record(undefined, undefined)
  const launched = (req.launcher ?? directLauncher).launch({
    program,
    args,
    cwd: req.workspaceRoot,
    env,
    logFile: join(req.outDir, RUN_LOG),
    // one that left the group still carries the run's marker (in the sandbox the PID namespace takes it)
    marker: sandboxed ? undefined : `${RUN_MARKER}=${runId}`,
    hold: req.startGate ? (sandboxed ? 'fd3' : 'spawn') : undefined,
    fd4: seccomp?.toString('base64'),
    slot,
  })
  if (req.startGate) {
    const go = await startWhen(req.startGate, req.signal)
    launched.release(go)
    if (!go) {
      await launched.exited
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        aborted: false,
        durationMs: 0,
        startedAt: Date.now(),
        sandbox: sandboxed ? 'on' : 'off',
        notStarted: true,
      }
    }
  }
  const started = Date.now()
  let pgid: number | undefined
  let stopRequested = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = () => {
    stopRequested = true
    if (!pgid) return
    // bwrap leads the group and would take the runner down with it at once: the runner gets the SIGTERM. In a kept
    // sandbox the runner leads its own group, once its setsid ran: until then the signal goes to the process itself
    if (launched.keptSandbox?.()) {
      signalGroup(pgid, 'SIGTERM')
      signalProcess(pgid, 'SIGTERM')
    } else if (sandboxed) signalGroupExcept(pgid, pgid, 'SIGTERM')
    else signalGroup(pgid, 'SIGTERM')
    killTimer ??= setTimeout(() => {
      signalGroup(pgid, 'SIGKILL')
      if (launched.keptSandbox?.()) signalProcess(pgid, 'SIGKILL')
    }, KILL_GRACE_MS)
  }
  let timedOut = false
  let aborted = false
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, req.timeoutMs)
  const onAbort = () => {
    aborted = true
    stop()
  }
  if (req.signal?.aborted) onAbort()
  else req.signal?.addEventListener('abort', onAbort, {once: true})
  pgid = await launched.started
  if (pgid) {
    req.groups?.add(pgid)
    if (req.record) record(pgid, launched.startTime())
    // a stop asked for before the pid was known
    if (stopRequested) stop()
    req.onStarted?.()
  }
  const exit = await launched.exited
  clearTimeout(timer)
  clearTimeout(killTimer)
  req.signal?.removeEventListener('abort', onAbort)
  if (pgid) req.groups?.delete(pgid)
  if (exit.error)
    await appendFile(join(req.outDir, RUN_LOG), `rigor: ${exit.afterStart ? '' : `could not start ${command}: `}${exit.error}\n`).catch(
      () => {},
    )
  return {
    exitCode: exit.code,
    signal: exit.signal,
    timedOut,
    aborted,
    durationMs: Date.now() - started,
    startedAt: started,
    spawnError: exit.afterStart ? undefined : exit.error,
    runError: exit.afterStart ? exit.error : undefined,
    sandbox: sandboxed ? 'on' : 'off',
  }
}

/** The start gate's word (true without one); a stop asked for meanwhile is a no. */
export function startWhen(gate: Promise<boolean> | undefined, signal: AbortSignal | undefined): Promise<boolean> {
  if (!gate) return Promise.resolve(true)
  if (!signal) return gate
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const stop = () => resolve(false)
    signal.addEventListener('abort', stop, {once: true})
    void gate.then((go) => {
      signal.removeEventListener('abort', stop)
      resolve(go && !signal.aborted)
    })
  })
}

/** Protocol variables set only for one kind of run (docs/runner-protocol.md): unset in every other. */
const RUN_KIND_VARIABLES = ['RIGOR_COST_MULTIPLIER', 'RIGOR_STAGE']

/**
 * The runner protocol's environment, as changes to the environment of the
 * process that starts the runner (rigor's, which the runner helper inherited):
 * copying the whole environment and sending it for every run was about half
 * of a launch's time on the work loop's thread (`--cpu-prof`, 300 instant
 * nodes). RIGOR_RUN_ID marks every process of the run for `rigor supervise`.
 */
function runnerEnv(req: RunRequest, runId: string, sandboxed: boolean, data: string | undefined): RunnerEnvironment {
  const own = {...req.node.run.env}
  // the kind of run is rigor's to say (the auditor's costs re-run, paper trading), never the node's own env nor
  // rigor's environment: a run.env RIGOR_COST_MULTIPLIER of 0 would trade without costs in research and audit alike
  for (const name of RUN_KIND_VARIABLES) delete own[name]
  const set: Record<string, string> = {
    ...own,
    ...req.extraEnv,
    RIGOR_NODE_ID: req.node.id,
    RIGOR_PARAMS: JSON.stringify(req.node.params ?? {}),
    RIGOR_WORKSPACE: req.workspaceRoot,
    RIGOR_OUT: req.outDir,
    RIGOR_SEED: String(req.seed ?? 0),
  }
  // the signing key's path stays with rigor: the code an audit re-runs is the code under audit
  const unset = ['RIGOR_SIGNING_KEY', ...RUN_KIND_VARIABLES.filter((name) => set[name] === undefined)]
  if (data) set.RIGOR_DATA = data
  else {
    delete set.RIGOR_DATA
    unset.push('RIGOR_DATA')
  }
  // RIGOR_DATA is a copy named by its content (or an auditor's altered copy): what a runner says of its data names the
  // file the node declared
  if (data && req.node.data) set.RIGOR_DATA_NAME = req.node.data
  else {
    delete set.RIGOR_DATA_NAME
    unset.push('RIGOR_DATA_NAME')
  }
  set[RUN_MARKER] = runId
  // the host's TMPDIR may not exist in the sandbox; its private /tmp does
  if (sandboxed) set.TMPDIR = '/tmp'
  return {unset, set}
}

export type RunnerReport = {ok: true; verdict: RunnerVerdict; omitted: Omission[]; truncated: Truncation[]} | {ok: false; reason: string}

const MB = 1024 * 1024
/** verdict.json is streamed, never held whole: a larger file is refused rather than scanned */
const MAX_VERDICT_JSON_BYTES = 4096 * MB

/** Why a finished process did not produce a usable verdict, or the validated verdict within the limits. */
export async function readRunnerReport(
  outDir: string,
  outcome: ProcessOutcome,
  timeoutMs: number,
  limits: RunnerLimits,
): Promise<RunnerReport> {
  if (outcome.sandboxError) return {ok: false, reason: outcome.sandboxError}
  if (outcome.spawnError) return {ok: false, reason: `the runner could not start: ${outcome.spawnError}`}
  if (outcome.runError) return {ok: false, reason: outcome.runError}
  if (outcome.timedOut) return {ok: false, reason: `timed out after ${ms(timeoutMs)}`}
  if (outcome.aborted) return {ok: false, reason: 'stopped before it finished'}
  if (outcome.exitCode !== 0) {
    // bwrap's execvp failure is exit 1; a gate shell's and, in a kept sandbox, setsid's are 126 or 127
    const unstarted =
      outcome.sandbox === 'on' && [1, 126, 127].includes(outcome.exitCode ?? 0) ? await sandboxExecFailure(outDir) : undefined
    if (unstarted) return {ok: false, reason: `the runner could not start: ${unstarted}`}
    return {ok: false, reason: outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`}
  }
  const swapped = outDirProblem(outDir)
  if (swapped) return {ok: false, reason: swapped}
  // strings longer than the notes limit are cut while reading: a 1 GB notes costs one pass, not 1 GB of memory
  const read = await readBoundedJson(
    join(outDir, VERDICT_JSON),
    {maxString: limits.notes, maxBytes: 4 * limits.notes + 16 * MB, maxFileBytes: MAX_VERDICT_JSON_BYTES},
    VERDICT_JSON,
  )
  if (!read.ok) return read
  const names = refuseMetricNames(read.value)
  const parsed = RunnerVerdict.safeParse(names.value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return {ok: false, reason: `${VERDICT_JSON} field "${issue.path.join('.') || '(top level)'}": ${issue.message}`}
  }
  for (const artifact of parsed.data.artifacts) {
    const full = resolve(outDir, artifact)
    if (!full.startsWith(resolve(outDir) + sep))
      return {ok: false, reason: `${VERDICT_JSON} artifact ${quoted(artifact)} points outside RIGOR_OUT`}
    try {
      // lstat: a declared link exists here, and is then refused with the reason when outputs are collected
      lstatSync(full)
    } catch {
      return {ok: false, reason: `${VERDICT_JSON} declares artifact ${quoted(artifact)} but the runner did not write it`}
    }
  }
  const limited = applyVerdictLimits(parsed.data, read.cuts, limits)
  return {ok: true, ...limited, omitted: [...names.omitted, ...limited.omitted]}
}

/**
 * verdict.json's value with the metrics whose names cannot be kept
 * (metricNameProblem: `__proto__`, control characters) taken out, and each
 * listed for the verdict's `omitted`: the first MAX_LISTED_OMISSIONS one by
 * one, then the rest in one entry with their count. The schema never sees them,
 * so a name is never dropped without a word (zod leaves `__proto__` out silently).
 */
function refuseMetricNames(value: unknown): {value: unknown; omitted: Omission[]} {
  const metrics = (value as {metrics?: unknown} | null)?.metrics
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return {value, omitted: []}
  const kept: Record<string, unknown> = {}
  const refused: Array<{name: string; problem: string}> = []
  for (const [name, metric] of Object.entries(metrics)) {
    const problem = metricNameProblem(name)
    if (problem) refused.push({name, problem})
    // defined, not assigned: no name here is "__proto__" any more, but a plain object is kept plain
    else Object.defineProperty(kept, name, {value: metric, enumerable: true, writable: true, configurable: true})
  }
  if (refused.length === 0) return {value, omitted: []}
  refused.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const omitted: Omission[] = refused
    .slice(0, MAX_LISTED_OMISSIONS)
    .map(({name, problem}) => ({path: `metrics.${invisibleEscaped(name)}`, reason: `refused metric name: ${problem}`}))
  const rest = refused.slice(MAX_LISTED_OMISSIONS)
  if (rest.length > 0)
    omitted.push({
      path: `metrics.${invisibleEscaped(rest[0]!.name)}`,
      reason: `refused metric names (a control or invisible character, or __proto__): ${rest.length} from this one on, by name`,
      count: rest.length,
    })
  return {value: {...(value as object), metrics: kept}, omitted}
}

/** Notes beyond the limit are cut (with a marker), metrics beyond the limit dropped by name order; both recorded. */
function applyVerdictLimits(verdict: RunnerVerdict, cuts: CutString[], limits: RunnerLimits) {
  const omitted: Omission[] = []
  const truncated: Truncation[] = []
  let notes = verdict.notes
  if (notes !== undefined) {
    const written = cuts.find((c) => c.path === 'notes')?.bytes ?? Buffer.byteLength(notes)
    const kept = truncateUtf8(notes, limits.notes)
    if (written > Buffer.byteLength(kept)) {
      notes = `${kept}\n[rigor: notes truncated: ${written} bytes; kept the first ${Buffer.byteLength(kept)} (runner.limits.notes)]`
      truncated.push({path: 'notes', bytes: written, kept: Buffer.byteLength(kept)})
    }
  }
  let metrics = verdict.metrics
  const names = Object.keys(metrics).sort()
  if (names.length > limits.metrics) {
    const dropped = names.slice(limits.metrics)
    metrics = Object.fromEntries(names.slice(0, limits.metrics).map((name) => [name, verdict.metrics[name]!]))
    omitted.push({
      path: `metrics.${printable(dropped[0]!)}`,
      reason: `beyond the limit of ${limits.metrics} metrics (runner.limits.metrics): ${dropped.length} metrics from this one on, by name`,
      count: dropped.length,
    })
  }
  return {verdict: {...verdict, notes, metrics}, omitted, truncated}
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that ends on a whole character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text)
  if (bytes.length <= maxBytes) return text
  let end = maxBytes
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8')
}

/**
 * In the sandbox the runner's program is started by bwrap, which, when it cannot (a mistyped path, a script without
 * its x bit), says so as the first line of run.log and exits 1: the run failed to start, as a spawn error says
 * without the sandbox, not a runner that exited 1. bwrap's words, e.g. `execvp ./train.py: Permission denied`.
 */
async function sandboxExecFailure(outDir: string): Promise<string | undefined> {
  let head: string
  try {
    const file = await open(join(outDir, RUN_LOG), 'r')
    try {
      const buffer = Buffer.alloc(1024)
      const {bytesRead} = await file.read(buffer, 0, buffer.length, 0)
      head = buffer.subarray(0, bytesRead).toString('utf8')
    } finally {
      await file.close()
    }
  } catch {
    return undefined
  }
  const bwrap = /^bwrap: (execvp [^\n]*)\n/.exec(head)?.[1]
  // util-linux's setsid, in a kept sandbox: said the way bwrap says it
  const setsid = /^setsid: failed to execute ([^\n]*)\n/.exec(head)?.[1]
  // the shell a sandbox made ready ahead waits in (sandbox.ts, gatedArgv), whose $0 is the program
  const gate = /^[^\n]*: \d+: exec: ([^\n]*): (not found|Permission denied)\n/.exec(head)
  const gated = gate ? `${gate[1]}: ${gate[2] === 'not found' ? 'No such file or directory' : gate[2]}` : undefined
  const failed = bwrap ?? setsid ?? gated
  const first = failed === undefined ? undefined : failed.startsWith('execvp ') ? failed : `execvp ${failed}`
  return first === undefined ? undefined : controlsEscaped(first)
}
