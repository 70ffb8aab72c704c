import {appendFile, mkdir, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {resolveCommand} from '../dag/runner.js'
import {EXIT, STOP_SIGNALS} from '../errors.js'
import {ScheduledRun, type ScheduledRunOutcome} from '../schemas/index.js'

/** Where scheduled runs keep their logs and records: .git/rigor/logs/ of the checkout. */
export const logsDir = (gitDir: string): string => join(gitDir, 'rigor', 'logs')
const RUNS_FILE = 'runs.jsonl'
/** logs of older runs are removed: a daily schedule keeps a month */
export const KEEP_LOGS = 30
const KEEP_RECORDS = 1000

export function outcomeOf(exitCode: number | null): ScheduledRunOutcome {
  if (exitCode === EXIT.ok) return 'ok'
  // the budget stopped the cycle: the day's work is done (the systemd unit's SuccessExitStatus=3), not a failure
  if (exitCode === EXIT.nothingToDo) return 'stopped'
  if (exitCode === EXIT.interrupted || exitCode === EXIT.terminated || exitCode === EXIT.hungUp) return 'interrupted'
  return 'failed'
}

export interface ScheduledRunOptions {
  /** the workspace root */
  cwd: string
  gitDir: string
  /** `rigor cycle`'s flags */
  cycleArgs: string[]
  /** the output goes to the log file only (under --json), else to this process's stdout and stderr too */
  quiet: boolean
  /** told the cycle's pid once it runs, so signals can be passed on to it */
  onStart?: (pid: number) => void
  env?: NodeJS.ProcessEnv
  now?: () => Date
}

/**
 * Runs `rigor cycle` once, as the timer or crontab line does: its output goes
 * to stdout and stderr (the journal, under systemd) and to a log file of its
 * own in .git/rigor/logs/, and the outcome is appended to runs.jsonl there.
 * The cycle runs in its own process group, so a Ctrl-C reaches this process
 * only and is passed on once (see cli/signals.ts withSignalsPassedOn).
 */
export async function runScheduledCycle(opts: ScheduledRunOptions): Promise<ScheduledRun> {
  const now = opts.now ?? (() => new Date())
  const dir = logsDir(opts.gitDir)
  await mkdir(dir, {recursive: true})
  const started = now()
  const log = join(dir, `cycle-${started.toISOString().replace(/[:.]/g, '-')}.log`)
  const args = ['cycle', ...opts.cycleArgs]
  const [program, argv] = resolveCommand(['rigor', ...args])
  const toLog = {file: log, append: true} as const
  const child = execa(program, argv, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: opts.env === undefined,
    stdin: 'ignore',
    stdout: opts.quiet ? [toLog] : ['inherit', toLog],
    stderr: opts.quiet ? [toLog] : ['inherit', toLog],
    detached: true,
    reject: false,
  })
  if (child.pid !== undefined) opts.onStart?.(child.pid)
  const result = await child
  const spawnFailed = result.failed && result.exitCode === undefined && !result.signal
  const exitCode = result.exitCode ?? null
  // the cycle turns a stop signal into its exit code; killed by one all the same, it was stopped before it could.
  // Any other signal (a SIGKILL of the OOM killer, a crash) is a failure
  const killedBy = result.signal && !(STOP_SIGNALS as readonly string[]).includes(result.signal) ? result.signal : undefined
  const error = spawnFailed
    ? `could not start rigor cycle: ${result.shortMessage}`
    : killedBy
      ? `rigor cycle was killed by ${killedBy}`
      : undefined
  const record: ScheduledRun = {
    started_at: started.toISOString(),
    finished_at: now().toISOString(),
    args,
    exit_code: exitCode,
    outcome: killedBy ? 'failed' : result.signal ? 'interrupted' : outcomeOf(exitCode),
    log,
    ...(spawnFailed ? {error: result.shortMessage} : killedBy ? {error: `killed by ${killedBy}`} : {}),
  }
  if (error) await appendFile(log, `${error}\n`)
  await appendFile(join(dir, RUNS_FILE), `${JSON.stringify(record)}\n`)
  await pruneLogs(dir)
  return record
}

/** The last scheduled run recorded in this checkout, or undefined; a damaged line is skipped, never fatal. */
export async function lastScheduledRun(gitDir: string): Promise<ScheduledRun | undefined> {
  const lines = await readRunLines(join(logsDir(gitDir), RUNS_FILE))
  for (const line of lines.reverse()) {
    try {
      const parsed = ScheduledRun.safeParse(JSON.parse(line))
      if (parsed.success) return parsed.data
    } catch {
      // a line cut short by a crash: look at the one before
    }
  }
  return undefined
}

async function readRunLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** Keeps the newest KEEP_LOGS logs and KEEP_RECORDS records. */
async function pruneLogs(dir: string): Promise<void> {
  const logs = (await readdir(dir)).filter((name) => /^cycle-.*\.log$/.test(name)).sort()
  for (const name of logs.slice(0, Math.max(0, logs.length - KEEP_LOGS))) await rm(join(dir, name), {force: true})
  const file = join(dir, RUNS_FILE)
  const lines = await readRunLines(file)
  if (lines.length > KEEP_RECORDS) await writeFile(file, `${lines.slice(-KEEP_RECORDS).join('\n')}\n`)
}
