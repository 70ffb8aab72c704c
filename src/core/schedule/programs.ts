import {execa} from 'execa'
import {CheckFailedError} from '../errors.js'

/**
 * The programs a schedule is installed with, by name or path: `crontab` and
 * `systemctl`, unless $RIGOR_CRONTAB or $RIGOR_SYSTEMCTL name others (a
 * crontab of another user's tool, or a test's stand-in).
 */
export interface SchedulePrograms {
  crontab: string
  systemctl: string
}

export function schedulePrograms(env: NodeJS.ProcessEnv): SchedulePrograms {
  return {crontab: env.RIGOR_CRONTAB || 'crontab', systemctl: env.RIGOR_SYSTEMCTL || 'systemctl'}
}

/** The installed crontab's text ('' when there is none); undefined when there is no crontab program. */
export async function readCrontab(program: string): Promise<string | undefined> {
  const result = await execa(program, ['-l'], {reject: false, stdin: 'ignore', encoding: 'utf8'})
  if (isMissing(result)) return undefined
  if (result.exitCode === 0) return String(result.stdout) === '' ? '' : `${String(result.stdout).replace(/\n*$/, '')}\n`
  // `crontab -l` of a user without one: "no crontab for alice", exit 1
  if (/no crontab/i.test(String(result.stderr))) return ''
  throw new CheckFailedError(`\`${program} -l\` failed: ${String(result.stderr).trim() || `exit ${result.exitCode}`}`, {
    fix: `check that you may use cron (\`${program} -l\`)`,
  })
}

/** Installs `text` as the crontab (`crontab -`, the text on standard input). */
export async function writeCrontab(program: string, text: string): Promise<void> {
  const result = await execa(program, ['-'], {reject: false, input: text, encoding: 'utf8'})
  if (result.exitCode !== 0)
    throw new CheckFailedError(`\`${program} -\` refused the new crontab: ${String(result.stderr).trim() || `exit ${result.exitCode}`}`, {
      fix: `check that you may use cron (\`${program} -l\`), or add the line by hand with \`${program} -e\``,
    })
}

export interface TimerState {
  /** false when systemctl is missing or cannot reach the user's manager (no user session, a container) */
  available: boolean
  problem?: string
  /** ActiveState, e.g. active or inactive */
  active?: string
  /** UnitFileState, e.g. enabled or disabled */
  enabled?: string
  next_run?: string
  last_run?: string
}

/**
 * A timer as the user's systemd sees it, from `systemctl --user show`: its
 * key=value output is stable, unlike the table of list-timers.
 */
export async function timerState(program: string, timer: string): Promise<TimerState> {
  const properties = ['ActiveState', 'UnitFileState', 'NextElapseUSecRealtime', 'LastTriggerUSec', 'LoadState']
  const result = await execa(program, ['--user', 'show', timer, ...properties.map((p) => `--property=${p}`)], {
    reject: false,
    stdin: 'ignore',
    encoding: 'utf8',
    timeout: 10_000,
  })
  if (isMissing(result)) return {available: false, problem: `${program} is not installed`}
  if (result.exitCode !== 0) return {available: false, problem: String(result.stderr).trim().split('\n')[0] || `exit ${result.exitCode}`}
  const values = new Map(
    String(result.stdout)
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  )
  const shown = (key: string) => {
    const value = values.get(key)
    return value && value !== 'n/a' && value !== '0' ? value : undefined
  }
  return {
    available: true,
    active: shown('ActiveState'),
    enabled:
      shown('UnitFileState') ?? (values.get('LoadState') === 'not-found' ? 'not loaded (run systemctl --user daemon-reload)' : undefined),
    next_run: shown('NextElapseUSecRealtime'),
    last_run: shown('LastTriggerUSec'),
  }
}

const isMissing = (result: {failed: boolean; exitCode?: number; code?: string}): boolean => result.failed && result.code === 'ENOENT'
