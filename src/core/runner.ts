import {spawn} from 'node:child_process'
import {createWriteStream} from 'node:fs'
import {mkdir, readFile, readdir, stat} from 'node:fs/promises'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import ms from 'ms'
import {sha256} from './checksum.js'
import {InputError} from './errors.js'
import {RunnerVerdict, type NodeFile} from './schemas/index.js'
import {parseDuration} from './validation.js'

export const RUN_LOG = 'run.log'
export const VERDICT_JSON = 'verdict.json'
/** the grace between SIGTERM and SIGKILL when a run is stopped */
export const KILL_GRACE_MS = 3000
const MAX_ARTIFACT_BYTES = 50 * 1024 * 1024

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
  const env: NodeJS.ProcessEnv = {
    ...process.env,
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

export type RunnerReport = {ok: true; verdict: RunnerVerdict} | {ok: false; reason: string}

/** Why a finished process did not produce a usable verdict, or the validated verdict. */
export async function readRunnerReport(outDir: string, outcome: ProcessOutcome, timeoutMs: number): Promise<RunnerReport> {
  if (outcome.spawnError) return {ok: false, reason: `the runner could not start: ${outcome.spawnError}`}
  if (outcome.timedOut) return {ok: false, reason: `timed out after ${ms(timeoutMs)}`}
  if (outcome.aborted) return {ok: false, reason: 'stopped before it finished'}
  if (outcome.exitCode !== 0) {
    return {ok: false, reason: outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`}
  }
  let text: string
  try {
    text = await readFile(join(outDir, VERDICT_JSON), 'utf8')
  } catch {
    return {ok: false, reason: `the runner wrote no ${VERDICT_JSON} in RIGOR_OUT`}
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    return {ok: false, reason: `${VERDICT_JSON} is not valid JSON (${(err as Error).message})`}
  }
  const parsed = RunnerVerdict.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return {ok: false, reason: `${VERDICT_JSON} field "${issue.path.join('.') || '(top level)'}": ${issue.message}`}
  }
  for (const artifact of parsed.data.artifacts) {
    const full = resolve(outDir, artifact)
    if (!full.startsWith(resolve(outDir) + sep)) return {ok: false, reason: `${VERDICT_JSON} artifact "${artifact}" points outside RIGOR_OUT`}
    try {
      await stat(full)
    } catch {
      return {ok: false, reason: `${VERDICT_JSON} declares artifact "${artifact}" but the runner did not write it`}
    }
  }
  return {ok: true, verdict: parsed.data}
}

export interface CollectedArtifact {
  path: string
  content: Buffer
  checksum: string
}

/** Every regular file the run left in its output directory, with its sha256. */
export async function collectArtifacts(outDir: string): Promise<{files: CollectedArtifact[]; skipped: string[]}> {
  const files: CollectedArtifact[] = []
  const skipped: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, {withFileTypes: true})) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) await walk(full)
      else if (entry.isFile()) {
        const path = relative(outDir, full).split(sep).join('/')
        if ((await stat(full)).size > MAX_ARTIFACT_BYTES) {
          skipped.push(path)
          continue
        }
        const content = await readFile(full)
        files.push({path, content, checksum: sha256(content)})
      }
    }
  }
  await walk(outDir)
  files.sort((a, b) => a.path.localeCompare(b.path))
  return {files, skipped}
}
