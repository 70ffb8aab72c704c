import {spawn} from 'node:child_process'
import {createWriteStream} from 'node:fs'
import {lstat, mkdir} from 'node:fs/promises'
import {dirname, join, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import ms from 'ms'
import {readBoundedJson, type CutString} from './bounded-json.js'
import {InputError} from './errors.js'
import {outDirProblem, RUN_LOG, VERDICT_JSON} from './outputs.js'
import {RunnerVerdict, type NodeFile, type Omission, type RunnerLimits, type Truncation} from './schemas/index.js'
import {parseDuration, printable} from './validation.js'

export {RUN_LOG, VERDICT_JSON} from './outputs.js'
/** the grace between SIGTERM and SIGKILL when a run is stopped */
export const KILL_GRACE_MS = 3000

const RIGOR_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/run.js')

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
}

export interface ProcessOutcome {
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  aborted: boolean
  durationMs: number
  spawnError?: string
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
  if (!parsed.ok) throw new InputError(`run.timeout: ${parsed.problem}`, {field: 'run.timeout', fix: 'write a duration such as 90s, 10m, 2h'})
  return parsed.value
}

/**
 * Runs a node's command with the runner protocol's environment (argv, never a
 * shell) in its own process group, so a timeout or a cancel stops the whole
 * tree: SIGTERM first, SIGKILL after a grace period. Output goes to run.log.
 */
export async function runProcess(req: RunRequest): Promise<ProcessOutcome> {
  await mkdir(req.outDir, {recursive: true})
  const [program, args] = resolveCommand(req.node.run.command)
  // the signing key's path stays with rigor: the code an audit re-runs is the code under audit
  const {RIGOR_SIGNING_KEY: _signingKey, ...inherited} = process.env
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...req.node.run.env,
    ...req.extraEnv,
    RIGOR_NODE_ID: req.node.id,
    RIGOR_PARAMS: JSON.stringify(req.node.params ?? {}),
    RIGOR_WORKSPACE: req.workspaceRoot,
    RIGOR_OUT: req.outDir,
    RIGOR_SEED: String(req.seed ?? 0),
  }
  const data = req.dataPath ?? (req.node.data ? resolve(req.workspaceRoot, req.node.data) : undefined)
  if (data) env.RIGOR_DATA = data
  else delete env.RIGOR_DATA

  const log = createWriteStream(join(req.outDir, RUN_LOG))
  const started = Date.now()
  return new Promise<ProcessOutcome>((resolvePromise) => {
    let timedOut = false
    let aborted = false
    let killTimer: NodeJS.Timeout | undefined
    const child = spawn(program, args, {cwd: req.workspaceRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    child.stdout.pipe(log, {end: false})
    child.stderr.pipe(log, {end: false})
    const stop = () => {
      signalGroup(child.pid, 'SIGTERM')
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS)
    }
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
    let spawnError: string | undefined
    child.on('error', (err) => {
      spawnError = err.message
    })
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onAbort)
      // the group may still hold children that ignored SIGTERM: they go too
      if (killTimer) {
        clearTimeout(killTimer)
        signalGroup(child.pid, 'SIGKILL')
      }
      const note = spawnError ? `rigor: could not start ${program}: ${spawnError}\n` : ''
      log.end(note, () =>
        resolvePromise({exitCode, signal, timedOut, aborted, durationMs: Date.now() - started, spawnError}),
      )
    })
  })
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is gone already
  }
}

export type RunnerReport =
  | {ok: true; verdict: RunnerVerdict; omitted: Omission[]; truncated: Truncation[]}
  | {ok: false; reason: string}

const MB = 1024 * 1024
/** verdict.json is streamed, never held whole: a larger file is refused rather than scanned */
const MAX_VERDICT_JSON_BYTES = 4096 * MB

/** Why a finished process did not produce a usable verdict, or the validated verdict within the limits. */
export async function readRunnerReport(outDir: string, outcome: ProcessOutcome, timeoutMs: number, limits: RunnerLimits): Promise<RunnerReport> {
  if (outcome.spawnError) return {ok: false, reason: `the runner could not start: ${outcome.spawnError}`}
  if (outcome.timedOut) return {ok: false, reason: `timed out after ${ms(timeoutMs)}`}
  if (outcome.aborted) return {ok: false, reason: 'stopped before it finished'}
  if (outcome.exitCode !== 0) {
    return {ok: false, reason: outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`}
  }
  const swapped = await outDirProblem(outDir)
  if (swapped) return {ok: false, reason: swapped}
  // strings longer than the notes limit are cut while reading: a 1 GB notes costs one pass, not 1 GB of memory
  const read = await readBoundedJson(
    join(outDir, VERDICT_JSON),
    {maxString: limits.notes, maxBytes: 4 * limits.notes + 16 * MB, maxFileBytes: MAX_VERDICT_JSON_BYTES},
    VERDICT_JSON,
  )
  if (!read.ok) return read
  const parsed = RunnerVerdict.safeParse(read.value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return {ok: false, reason: `${VERDICT_JSON} field "${issue.path.join('.') || '(top level)'}": ${issue.message}`}
  }
  for (const artifact of parsed.data.artifacts) {
    const full = resolve(outDir, artifact)
    if (!full.startsWith(resolve(outDir) + sep)) return {ok: false, reason: `${VERDICT_JSON} artifact "${artifact}" points outside RIGOR_OUT`}
    try {
      // lstat: a declared link exists here, and is then refused with the reason when outputs are collected
      await lstat(full)
    } catch {
      return {ok: false, reason: `${VERDICT_JSON} declares artifact "${artifact}" but the runner did not write it`}
    }
  }
  return {ok: true, ...applyVerdictLimits(parsed.data, read.cuts, limits)}
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
