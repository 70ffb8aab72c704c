import {GitFailedError} from '../errors.js'
import {runText} from './spawn-text.js'

/** A git command that exited non-zero where rigor expected it to work. */
export class GitError extends GitFailedError {
  constructor(
    readonly args: readonly string[],
    readonly gitExitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${gitExitCode}): ${stderr.trim()}`)
  }
}

export interface GitRunOptions {
  cwd: string
  input?: string | Buffer
  env?: Record<string, string>
  /** resolve instead of throwing on a non-zero exit */
  allowFailure?: boolean
  /** false: a git killed by a signal is not run again, the caller finds out what it did (a push) */
  rerunIfKilled?: boolean
  /** stdout as bytes, one character per byte (latin1), nothing stripped (see TextRunOptions.binary) */
  binary?: boolean
  /** git config for this command, over every config file, as `-c` would set it (the command line stays as written) */
  config?: ReadonlyArray<[string, string]>
  /** git (and its transport, in git's process group) is killed after this many milliseconds: see runText */
  timeoutMs?: number
}

export interface GitResult {
  stdout: string
  stderr: string
  exitCode: number
  /** the signal that killed git, when one did */
  signal?: string
  /** killed by rigor because it ran past `timeoutMs`: not run again */
  timedOut?: boolean
}

/**
 * User settings that change what the commands rigor parses print, set back to git's defaults for every git it runs:
 * log.showSignature prints each signed commit's check ("Good "git" signature for ...") before the commit's own
 * --format line; grep.patternType=fixed (or perl) reads rigor's `--grep=^Rigor-Action: ` as other than a basic regex;
 * i18n.logOutputEncoding (latin1, say) re-encodes the messages rigor reads as UTF-8.
 */
const NEUTRAL_CONFIG: ReadonlyArray<[string, string]> = [
  ['log.showSignature', 'false'],
  ['grep.patternType', 'basic'],
  ['i18n.logOutputEncoding', 'UTF-8'],
]

/**
 * NEUTRAL_CONFIG (and a command's own GitRunOptions.config) as git's GIT_CONFIG_COUNT variables (as `-c` would set them, over every config file; the command
 * line stays as rigor wrote it), after any the user set.
 */
function neutralConfig(extra: ReadonlyArray<[string, string]> = []): Record<string, string> {
  const from = Number.parseInt(process.env.GIT_CONFIG_COUNT ?? '', 10) || 0
  const settings = [...NEUTRAL_CONFIG, ...extra]
  const env: Record<string, string> = {GIT_CONFIG_COUNT: String(from + settings.length)}
  settings.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${from + i}`] = key
    env[`GIT_CONFIG_VALUE_${from + i}`] = value
  })
  return env
}

/** How often a git killed by a signal is run again before its failure counts. */
export const RERUNS_IF_KILLED = 3

/**
 * Runs git with an argument array (never a shell). The hot paths call this
 * directly rather than through simple-git, which sleeps after silent commands.
 */
export async function runGit(args: readonly string[], opts: GitRunOptions): Promise<GitResult> {
  for (let run = 0; ; run++) {
    const result = await runText('git', args, {
      cwd: opts.cwd,
      input: opts.input,
      // the checkout's own index, whatever GIT_INDEX_FILE says (a script's scratch index, a hook's): rigor brings that
      // index along with its commits, or the checkout's next plain `git commit` would revert them
      env: {GIT_TERMINAL_PROMPT: '0', GIT_INDEX_FILE: undefined, ...neutralConfig(opts.config), ...opts.env},
      // its own session: a Ctrl-C on the terminal stops rigor cleanly, it must not kill the git commands that stop needs
      detached: true,
      binary: opts.binary,
      timeoutMs: opts.timeoutMs,
    })
    if (result.timedOut) {
      const stderr = `${result.stderr}${result.stderr ? '\n' : ''}rigor killed git after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s without an end`
      if (!opts.allowFailure) throw new GitError(args, result.exitCode, stderr)
      return {stdout: result.stdout, stderr, exitCode: result.exitCode, signal: result.signal, timedOut: true}
    }
    // rigor never signals git: a signal was aimed at rigor's whole process tree (Slurm's scancel and preemption
    // signal every process of a job), and rigor answers it by putting its claims back, with git
    if (result.signal && opts.rerunIfKilled !== false && run < RERUNS_IF_KILLED) continue
    const stderr = result.stderr || (result.signal ? `killed by ${result.signal}` : '')
    if (result.exitCode !== 0 && !opts.allowFailure) throw new GitError(args, result.exitCode, stderr)
    return {stdout: result.stdout, stderr, exitCode: result.exitCode, signal: result.signal}
  }
}
