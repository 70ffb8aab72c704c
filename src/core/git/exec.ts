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
}

export interface GitResult {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * Runs git with an argument array (never a shell). The hot paths call this
 * directly rather than through simple-git, which sleeps after silent commands.
 */
export async function runGit(args: readonly string[], opts: GitRunOptions): Promise<GitResult> {
  const result = await runText('git', args, {
    cwd: opts.cwd,
    input: opts.input,
    env: {GIT_TERMINAL_PROMPT: '0', ...opts.env},
    // its own session: a Ctrl-C on the terminal stops rigor cleanly, it must not kill the git commands that stop needs
    detached: true,
  })
  if (result.exitCode !== 0 && !opts.allowFailure) throw new GitError(args, result.exitCode, result.stderr)
  return result
}
