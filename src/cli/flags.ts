import {existsSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {InputError} from '../core/errors.js'
import {parseClockTime, parseDecimal, parseDuration, parseStopTime, singleLineProblem} from '../core/validation.js'

/** What a number flag accepts, checked while oclif parses it. */
export interface NumberRule {
  integer?: boolean
  /** Inclusive lower bound. */
  min?: number
  /** Exclusive lower bound. */
  above?: number
  /** Inclusive upper bound. */
  max?: number
}

/**
 * A bad flag value. oclif rewrites the message of whatever a flag parser throws
 * ("Parsing --x ... See more help with --help"), so the parts are kept apart
 * and RigorCommand.parse turns this back into a plain InputError.
 */
export class FlagValueError extends InputError {
  constructor(
    readonly flag: string,
    readonly problem: string,
    readonly fixText: string,
  ) {
    super(problem, {field: flag, fix: fixText})
    // to the user it is an InputError like any other
    this.name = 'InputError'
  }

  /** The error as the user sees it, free of oclif's rewriting. */
  plain(): InputError {
    return new InputError(this.problem, {field: this.flag, fix: this.fixText})
  }
}

/**
 * The first empty value on the command line (`--remote ''`, `--team=`, `init ''`), as an input error: rigor never
 * takes an empty word for a value, nor for "not given". An unset shell variable (`--remote "$REMOTE"`) would
 * otherwise quietly work locally, or `rigor init "$DIR"` set up the current folder. `flags` tells a flag that takes a
 * value from a switch, whose next word is an argument; after `--` every word is an argument.
 */
export function emptyValueError(argv: readonly string[], flags: Record<string, {type: string; char?: string}>): InputError | undefined {
  const takesValue = (token: string): string | undefined => {
    const name = token.startsWith('--') ? token.slice(2) : Object.keys(flags).find((n) => flags[n]!.char === token.slice(1))
    return name !== undefined && flags[name]?.type === 'option' ? `--${name}` : undefined
  }
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') break
    const inline = /^(--[^=]+)=$/.exec(token)
    if (inline) return emptyFlagValue(inline[1]!)
    if (token !== '') continue
    const flag = i > 0 && /^-[^-]|^--[^=]+$/.test(argv[i - 1]!) ? takesValue(argv[i - 1]!) : undefined
    if (flag) return emptyFlagValue(flag)
    return new InputError('an argument is empty', {
      field: 'arguments',
      fix: 'give it a value (an unset shell variable gives an empty one), or leave it out for its default',
    })
  }
  return undefined
}

const emptyFlagValue = (flag: string) =>
  new InputError('is empty', {field: flag, fix: `give ${flag} a value (an unset shell variable gives an empty one), or leave ${flag} out`})

/** Reads a number given on the command line; `flag` (e.g. `--trials`) names it in the error. */
export function parseNumber(raw: string, flag: string, rule: NumberRule = {}): number {
  const parsed = parseDecimal(raw, rule.integer === true)
  if (!parsed.ok)
    throw new FlagValueError(
      flag,
      parsed.problem,
      `give ${flag} as ${rule.integer ? 'a whole number in decimal digits' : 'a decimal number'}, e.g. ${flag}=${rule.integer ? '250' : '0.5'}`,
    )
  const value = parsed.value
  if (rule.min !== undefined && value < rule.min)
    throw new FlagValueError(flag, `must be at least ${rule.min}, got ${raw}`, `give ${flag} >= ${rule.min}`)
  if (rule.above !== undefined && !(value > rule.above))
    throw new FlagValueError(flag, `must be greater than ${rule.above}, got ${raw}`, `give ${flag} > ${rule.above}`)
  if (rule.max !== undefined && value > rule.max)
    throw new FlagValueError(flag, `must be at most ${rule.max}, got ${raw}`, `give ${flag} <= ${rule.max}`)
  return value
}

/** A flag whose value is a number obeying `rule`: `numberFlag({integer: true, min: 1})({description: ...})`. */
export function numberFlag(rule: NumberRule = {}) {
  return Flags.custom<number>({
    helpValue: rule.integer ? '<integer>' : '<number>',
    parse: async (input, _context, flag) => parseNumber(input, `--${flag.name}`, rule),
  })
}

/** A flag whose value is a duration (30s, 5m, 2h; a bare number is seconds), parsed to milliseconds by the one duration rule. */
export function durationFlag() {
  return Flags.custom<number>({
    helpValue: '<duration>',
    parse: async (input, _context, flag) => {
      const parsed = parseDuration(input)
      if (!parsed.ok)
        throw new FlagValueError(`--${flag.name}`, parsed.problem, `give --${flag.name} as a duration, e.g. --${flag.name} 30s`)
      return parsed.value
    },
  })
}

/**
 * A flag whose value is why something was done (`--reason`), recorded in a state file and shown in views: one line of
 * at most 1,000 characters (a 100 KB reason made a 100 KB node.yaml; a line break a forged line in every view).
 */
export function reasonFlag() {
  return Flags.custom<string>({
    helpValue: '<text>',
    parse: async (input, _context, flag) => {
      const problem = singleLineProblem(input, 1000)
      if (problem) throw new FlagValueError(`--${flag.name}`, problem, `give --${flag.name} as one line of at most 1000 characters`)
      return input
    },
  })
}

/** A flag whose value is a time of day, HH:MM (24-hour clock). */
export function clockTimeFlag() {
  return Flags.custom<{hour: number; minute: number}>({
    helpValue: '<HH:MM>',
    parse: async (input, _context, flag) => {
      const parsed = parseClockTime(input)
      if (!parsed.ok) throw new FlagValueError(`--${flag.name}`, parsed.problem, `give --${flag.name} as HH:MM, e.g. --${flag.name} 03:17`)
      return parsed.value
    },
  })
}

/** A flag whose value is a time to stop at (see parseStopTime): ISO 8601 with its zone, or @<unix seconds>. */
export function stopTimeFlag(opts: {description: string}) {
  return Flags.custom<Date>({
    helpValue: '<time>',
    parse: async (input, _context, flag) => {
      const parsed = parseStopTime(input)
      if (!parsed.ok)
        throw new FlagValueError(`--${flag.name}`, parsed.problem, `give --${flag.name} as 2025-03-01T17:00:00Z or @1740848400`)
      return parsed.value
    },
  })(opts)
}

/** --cwd: only on commands that open a workspace. */
export const cwdFlag = Flags.directory({
  description: 'workspace directory; the command runs as if typed there, relative paths included (default: the current directory)',
  helpGroup: 'GLOBAL',
  exists: true,
})

/** --remote: only on commands that read or change the shared state. */
export const remoteFlag = Flags.string({
  description:
    'a git remote whose branch holds the shared state: every change is pushed there, a rejected push is a lost race (default: $RIGOR_REMOTE)',
  helpGroup: 'GLOBAL',
  env: 'RIGOR_REMOTE',
})

/** A Slurm job id as an argument: digits only, so it can never be read as an option of scancel. */
export async function jobIdArg(input: string): Promise<string> {
  const task = /^(\d{1,12})_(\d{1,7})$/.exec(input)
  if (task)
    throw new FlagValueError(
      'JOB',
      `"${input}" is task ${task[2]} of array ${task[1]}`,
      `give the array's id, ${task[1]}: it lists each task`,
    )
  if (!/^\d{1,12}$/.test(input))
    throw new FlagValueError(
      'JOB',
      `"${input.slice(0, 40)}" is not a job id`,
      'give the number sbatch printed (rigor slurm status lists them)',
    )
  return input
}

/** A Slurm job id, or one task of an array as Slurm writes it (`<job>_<task>`): digits and one underscore only. */
export async function jobOrTaskArg(input: string): Promise<string> {
  if (!/^\d{1,12}(_\d{1,7})?$/.test(input))
    throw new FlagValueError(
      'JOB',
      `"${input.slice(0, 40)}" is not a job id`,
      'give the number sbatch printed, or <job>_<task> for one task (rigor slurm status lists them)',
    )
  return input
}

/**
 * A path Node could not read as UTF-8 (a folder named with a byte such as 0xff): Node hands it over with U+FFFD in
 * place of the byte, a name that does not exist, so rigor would work on another folder (`rigor init` made one beside
 * the real one). Refused when the name as read does not exist; a name that truly holds U+FFFD does.
 */
export function undecodablePathError(path: string, what: string, field?: string): InputError | undefined {
  if (!path.includes('\ufffd') || existsSync(path)) return undefined
  return new InputError(`${what} ${path} is not valid UTF-8 (shown with \ufffd in place of what cannot be read), so rigor cannot name it`, {
    field,
    fix: 'rename the folder with UTF-8 characters only (or run rigor from a path that has them), then run the command again',
  })
}
