import {isAbsolute, join} from 'node:path'
import {InputError} from '../errors.js'
import {formatClock, type ScheduledJob} from './job.js'

/** A systemd unit file rigor writes: where, and what. */
export interface UnitFile {
  path: string
  content: string
}

export const unitName = (job: Pick<ScheduledJob, 'id'>, type: 'service' | 'timer'): string => `rigor-cycle-${job.id}.${type}`

/** ~/.config/systemd/user, or $XDG_CONFIG_HOME/systemd/user: where `systemctl --user` finds a user's own units. */
export function userUnitDir(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME
  // the XDG spec: a relative value is to be ignored
  if (config && isAbsolute(config)) return join(config, 'systemd', 'user')
  if (!env.HOME || !isAbsolute(env.HOME))
    throw new InputError('neither $XDG_CONFIG_HOME nor $HOME is an absolute path: there is no place for user units', {
      fix: 'set HOME (or XDG_CONFIG_HOME) to your home directory',
    })
  return join(env.HOME, '.config', 'systemd', 'user')
}

/** A value in which systemd expands specifiers (Description=, WorkingDirectory=): a literal % is written %%. */
export const systemdLiteral = (value: string): string => value.replace(/%/g, '%%')

/**
 * One word of ExecStart= or Environment=: double-quoted, with backslash and
 * quote escaped (systemd unquotes and C-unescapes it), % doubled (specifiers)
 * and, for ExecStart=, $ doubled (environment variable expansion).
 */
export function systemdWord(value: string, opts: {dollars?: boolean} = {}): string {
  let escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')
  if (opts.dollars) escaped = escaped.replace(/\$/g, '$$$$')
  return `"${escaped}"`
}

const header = (job: ScheduledJob) =>
  `# Written by \`rigor schedule install --systemd\` for ${job.root}\n# Remove it with \`rigor schedule uninstall\`.\n`

/**
 * The service: one `rigor schedule run` in the workspace, which runs `rigor
 * cycle` and writes its output to the journal and to .git/rigor/logs/.
 * KillMode=mixed: a stop sends SIGTERM to rigor alone, which stops its runners
 * and puts its claims back; whatever is left gets SIGKILL after TimeoutStopSec.
 */
export function serviceUnit(job: ScheduledJob, dir: string): UnitFile {
  const lines = [
    header(job),
    '[Unit]',
    `Description=${systemdLiteral(`rigor cycle in ${job.root}`)}`,
    '',
    '[Service]',
    'Type=oneshot',
    `WorkingDirectory=${systemdLiteral(job.root)}`,
    ...(job.path ? [`Environment=${systemdWord(`PATH=${job.path}`)}`] : []),
    `ExecStart=${job.argv.map((word) => systemdWord(word, {dollars: true})).join(' ')}`,
    // exit 3 is a cycle the daily budget stopped: the day's work is done, not a failed unit
    'SuccessExitStatus=3',
    'KillMode=mixed',
    'TimeoutStopSec=120',
    'SyslogIdentifier=rigor-cycle',
    '',
  ]
  return {path: join(dir, unitName(job, 'service')), content: lines.join('\n')}
}

/** The timer: every day at `job.at` (local time); Persistent= runs a missed cycle when the machine is back. */
export function timerUnit(job: ScheduledJob, dir: string): UnitFile {
  const lines = [
    header(job),
    '[Unit]',
    `Description=${systemdLiteral(`daily rigor cycle in ${job.root} at ${formatClock(job.at)}`)}`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar(job)}`,
    'Persistent=true',
    `Unit=${unitName(job, 'service')}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ]
  return {path: join(dir, unitName(job, 'timer')), content: lines.join('\n')}
}

export const onCalendar = (job: Pick<ScheduledJob, 'at'>): string => `*-*-* ${formatClock(job.at)}:00`

/** What the user runs to start the timer: rigor never calls systemctl on their behalf. */
export function enableCommands(job: Pick<ScheduledJob, 'id'>): string[] {
  return ['systemctl --user daemon-reload', `systemctl --user enable --now ${unitName(job, 'timer')}`]
}
