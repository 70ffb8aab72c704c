import {InputError} from '../errors.js'
import type {ScheduledJob} from './job.js'

/** One word for /bin/sh, single-quoted: nothing inside is expanded. */
export const shellWord = (value: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`)

/**
 * A crontab command as cron hands it to the shell: an unescaped % ends the
 * command (the rest becomes its standard input), so every % is written \%.
 * Inside single quotes too: cron reads the line before the shell does.
 */
export const cronEscape = (command: string): string => command.replace(/%/g, '\\%')

/** The comment that tags this workspace's line, so a reinstall replaces it and uninstall finds it. */
export const cronMarker = (id: string): string => `# rigor-schedule:${id}`

/**
 * The crontab line: at `job.at` every day, in the workspace, `rigor schedule
 * run` with PATH as it was at install time (cron's own is minimal). Ends with
 * the marker comment, which the shell ignores.
 */
export function cronLine(job: ScheduledJob): string {
  // an assignment before exec, not `env PATH=...`: env reads any word holding "=" as one more variable, so a program
  // whose path holds one (/opt/a=b/node) would never run
  const path = job.path ? `PATH=${shellWord(job.path)} ` : ''
  const command = `cd ${shellWord(job.root)} && ${path}exec ${job.argv.map(shellWord).join(' ')}`
  const text = `${cronEscape(command)} ${cronEscape(`${cronMarker(job.id)} ${job.root}`)}`
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_CRON_COMMAND_BYTES)
    throw new InputError(
      `the crontab line's command would be ${bytes} bytes (PATH ${Buffer.byteLength(job.path ?? '')} of them); cron refuses a command longer than ${MAX_CRON_COMMAND_BYTES} bytes`,
      {
        field: 'PATH',
        fix: 'run install with a shorter PATH (the programs your runners need), e.g. `env PATH=/usr/local/bin:/usr/bin:/bin rigor schedule install --cron`, or use --systemd',
      },
    )
  return `${job.at.minute} ${job.at.hour} * * * ${text}`
}

/**
 * The longest command (all of a line after its five time fields) cron takes:
 * Vixie cron (Debian's, Ubuntu's) reads it into a buffer of 1000 bytes, and
 * `crontab -` refuses the whole table ("command too long") from 999 bytes on.
 */
export const MAX_CRON_COMMAND_BYTES = 998

const isMarked = (line: string, id: string): boolean => {
  const marker = cronMarker(id)
  const at = line.indexOf(marker)
  // the marker and then the end or a space: rigor-schedule:ws-1 is not rigor-schedule:ws-10
  return at >= 0 && (line.length === at + marker.length || line[at + marker.length] === ' ')
}

/** A crontab line cron never runs: a comment (its first non-blank character a #), as a line commented out by hand is. */
const isComment = (line: string): boolean => /^\s*#/.test(line)

/** This workspace's line in a crontab, if there is one cron runs (one commented out is not installed: findDisabledCronLine). */
export function findCronLine(crontab: string, id: string): string | undefined {
  return crontab.split('\n').find((line) => isMarked(line, id) && !isComment(line))
}

/** This workspace's line commented out (by hand, to pause the schedule), if there is one and no line cron runs. */
export function findDisabledCronLine(crontab: string, id: string): string | undefined {
  if (findCronLine(crontab, id) !== undefined) return undefined
  return crontab.split('\n').find((line) => isMarked(line, id) && isComment(line))
}

/** The crontab without this workspace's line(s), commented out or not; every other line as it was, ending in a newline (cron needs it). */
export function withoutCronLine(crontab: string, id: string): string {
  const kept = crontab.split('\n').filter((line) => !isMarked(line, id))
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop()
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`
}

/** The crontab with this workspace's line put in place of the old one (or added). */
export function withCronLine(crontab: string, line: string, id: string): string {
  return `${withoutCronLine(crontab, id)}${line}\n`
}
