import {isAbsolute, resolve} from 'node:path'
import {InputError} from '../errors.js'
import {DEFAULT_SLURM_GRACE_MS, type SlurmConfig} from '../schemas/index.js'
import {
  MAX_WORKER_SLOTS,
  moduleNameProblem,
  parseDuration,
  parseSlurmTime,
  printable,
  scratchPathProblem,
  singleLineProblem,
  slurmMemoryProblem,
  slurmPartitionProblem,
} from '../validation.js'
import type {JobPlan} from './script.js'

/** What the command line says; each overrides the same field of `slurm:` in rigor.yaml. */
export interface SubmitFlags {
  workers?: number
  parallel?: number
  partition?: string
  time?: string
  cpusPerTask?: number
  mem?: string
  grace?: string
  scratch?: string
}

export interface PlanContext {
  /** `slurm:` of the committed rigor.yaml at the state's tip */
  config: SlurmConfig | undefined
  /** where `config` was read, as messages name it (Workspace.configFile) */
  configFile: string
  configCommit: string
  branch: string
  remoteUrl: string
  /** argv that starts this rigor (node and bin/run.js), unless slurm.rigor says otherwise */
  defaultRigor: string[]
}

const flagError = (flag: string, problem: string, fix: string) => new InputError(problem, {field: flag, fix})

/**
 * The job to submit: flags over rigor.yaml over defaults, every value checked.
 * Flags are checked here (the config was checked when rigor.yaml loaded).
 */
export function planSubmission(flags: SubmitFlags, ctx: PlanContext): JobPlan {
  const config = ctx.config
  const partition = flags.partition ?? config?.partition
  if (flags.partition !== undefined) {
    const problem = slurmPartitionProblem(flags.partition)
    if (problem) throw flagError('--partition', problem, 'give a partition that `sinfo` lists, e.g. --partition=short')
  }
  const time = flags.time ?? config?.time
  const timeSeconds = time === undefined ? undefined : parseSlurmTime(time)
  if (timeSeconds && !timeSeconds.ok) throw flagError('--time', timeSeconds.problem, 'give --time as HH:MM:SS, e.g. --time=02:00:00')
  const mem = flags.mem ?? config?.mem
  if (flags.mem !== undefined) {
    const problem = slurmMemoryProblem(flags.mem)
    if (problem) throw flagError('--mem', problem, 'give --mem as 4000 (megabytes) or 16G')
  }
  const scratch = flags.scratch ?? config?.scratch
  if (flags.scratch !== undefined) {
    const problem = scratchPathProblem(flags.scratch)
    if (problem)
      throw flagError('--scratch', problem, 'give an absolute directory that exists on every compute node, e.g. --scratch=/local/scratch')
  }
  const grace = gracePeriod(flags.grace, config, ctx.configFile)
  if (timeSeconds?.ok && grace >= timeSeconds.value) {
    // named after what the user gave: the grace if they set one, else the time limit it does not fit
    const where =
      flags.grace !== undefined
        ? {field: '--grace'}
        : config?.grace !== undefined
          ? {file: ctx.configFile, field: 'slurm.grace'}
          : flags.time !== undefined
            ? {field: '--time'}
            : {file: ctx.configFile, field: 'slurm.time'}
    throw new InputError(`a grace of ${grace} s leaves no time to work within the time limit ${time} (${timeSeconds.value} s)`, {
      ...where,
      fix: 'give a longer --time or a shorter --grace (the grace only has to cover putting the claims back: a minute or two)',
    })
  }
  // the slots fill the CPUs asked for, whether --cpus-per-task or slurm.cpus_per_task asked, up to what
  // rigor work --parallel takes (a task of 512 CPUs would otherwise start a worker that refuses its flag)
  const cpus = flags.cpusPerTask ?? config?.cpus_per_task
  const parallel = flags.parallel ?? config?.parallel ?? (cpus === undefined ? 1 : Math.min(cpus, MAX_WORKER_SLOTS))
  const remoteProblem = remoteUrlProblem(ctx.remoteUrl)
  if (remoteProblem)
    throw new InputError(remoteProblem, {
      field: '--remote',
      fix: 'give a remote whose URL every compute node can reach without a password in it: a path on a shared file system, or ssh:// or https:// with a credential helper',
    })
  return {
    workers: flags.workers ?? config?.workers ?? 1,
    parallel,
    partition,
    time,
    cpusPerTask: flags.cpusPerTask ?? config?.cpus_per_task ?? parallel,
    mem,
    graceSeconds: grace,
    modules: checkedAgain(config?.modules ?? [], moduleNameProblem, 'slurm.modules', ctx.configFile),
    setup: checkedAgain(config?.setup ?? [], (line) => singleLineProblem(String(line)), 'slurm.setup', ctx.configFile),
    scratch,
    sbatch: config?.sbatch ?? [],
    rigor: config?.rigor ?? ctx.defaultRigor,
    remoteUrl: ctx.remoteUrl,
    branch: ctx.branch,
    configCommit: ctx.configCommit,
  }
}

/** The grace in whole seconds, as --signal takes it. */
function gracePeriod(flag: string | undefined, config: SlurmConfig | undefined, configFile: string): number {
  let millis = config?.grace ?? DEFAULT_SLURM_GRACE_MS
  if (flag !== undefined) {
    const parsed = parseDuration(flag)
    if (!parsed.ok) throw flagError('--grace', parsed.problem, 'give --grace as 2m or 90s')
    millis = parsed.value
  }
  const seconds = Math.round(millis / 1000)
  // sbatch --signal takes at most 65535 seconds
  if (seconds < 1 || seconds > 65_535)
    throw new InputError(`a grace of ${millis} ms is not between 1 second and 65535 seconds`, {
      ...(flag !== undefined ? {field: '--grace'} : {file: configFile, field: 'slurm.grace'}),
      fix: 'give a grace such as 2m',
    })
  return seconds
}

/** Lines that reach the script are checked where they are used too: the schema's check is one edit away. */
function checkedAgain(values: string[], problem: (value: unknown) => string | undefined, field: string, configFile: string): string[] {
  values.forEach((value, i) => {
    const why = problem(value)
    if (why) throw new InputError(why, {file: configFile, field: `${field}[${i}]`, fix: 'write one line per entry'})
  })
  return values
}

/** Why a remote URL cannot be written into a job script for every task to clone, or undefined. */
export function remoteUrlProblem(url: string): string | undefined {
  const line = singleLineProblem(url, 2000)
  if (line) return `the remote's URL ${line}`
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url))
    return `the remote's URL "${printable(url.replace(/:[^/@:]*@/, ':***@'))}" holds a password: Slurm keeps job scripts where its administrators can read them`
  return undefined
}

/**
 * A remote's URL as a compute node must see it: a relative path (git keeps what
 * `git remote add` was given) is made absolute against the workspace root.
 */
export function absoluteRemoteUrl(url: string, root: string): string {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
  // git's scp-like syntax, host:path, has its colon before any slash
  const scpLike = /^[^/]+:/.test(url) && !isUrl
  if (isUrl || scpLike || isAbsolute(url)) return url
  return resolve(root, url)
}

/**
 * A directory as sbatch --output reads it, where `%` starts a pattern (%x is the job
 * name, %j its id): every `%` doubled. sbatch drops a backslash and, with it, every
 * pattern of the name (%A and %a too), so a path holding one is refused.
 */
export function sbatchFilename(dir: string): string {
  if (dir.includes('\\'))
    throw new InputError(
      `the clone's git directory "${printable(dir)}" holds a backslash: sbatch drops it from --output and reads no %A or %a after it, so no task could write its log`,
      {fix: 'submit from a clone whose path has no backslash (git clone the remote to such a path)'},
    )
  return dir.replace(/%/g, '%%')
}
