import {runConfiguredCommand} from '../configured-command.js'
import {resolveCommand} from '../dag/runner.js'

export interface StageCommandRun {
  command: string[]
  exitCode: number | null
  timedOut: boolean
  /** stopped because rigor was (SIGINT, SIGTERM) */
  canceled: boolean
  /** stdout and stderr interleaved, the last part only */
  output: string
  spawnError?: string
  /** processes the command left running when it exited, which rigor stopped */
  leftBehind: number
}

const OUTPUT_TAIL = 4000

/**
 * Runs a stage's configured deploy command: argv, no shell, in the workspace,
 * with the deployment's facts in the environment. `rigor` as the program is
 * this rigor, as for runners. What it leaves running is stopped when it exits
 * (configured-command.ts): a long-lived service is handed to a service manager.
 */
export async function runStageCommand(
  command: string[],
  opts: {cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal},
): Promise<StageCommandRun> {
  const [program, args] = resolveCommand(command)
  const result = await runConfiguredCommand({
    argv: [program, ...args],
    cwd: opts.cwd,
    env: opts.env,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    maxBytes: OUTPUT_TAIL * 4,
  })
  const output = result.all
  return {
    command,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    canceled: result.canceled,
    output: output.length > OUTPUT_TAIL ? `…${output.slice(-OUTPUT_TAIL)}` : output,
    spawnError: result.spawnError,
    leftBehind: result.leftBehind.length,
  }
}

export function describeFailure(run: StageCommandRun): string {
  if (run.spawnError) return `could not start: ${run.spawnError}`
  if (run.timedOut) return 'timed out'
  if (run.exitCode === null) return 'was killed'
  return `exited with code ${run.exitCode}`
}

/** The warning for a command that left processes running (they were stopped), or undefined. */
export function leftBehindWarning(run: StageCommandRun | undefined, what: string): string | undefined {
  if (!run?.leftBehind) return undefined
  return `${what} left ${run.leftBehind} process(es) running when it exited; rigor stopped them (no process outlives a rigor command): start a long-lived service through a service manager (systemd-run, docker, kubectl), not with \`&\``
}
