import {execa} from 'execa'
import {resolveCommand} from '../dag/runner.js'

export interface StageCommandRun {
  command: string[]
  exitCode: number | null
  timedOut: boolean
  /** stdout and stderr interleaved, the last part only */
  output: string
  spawnError?: string
}

const OUTPUT_TAIL = 4000

/**
 * Runs a stage's configured deploy command: argv, no shell, in the workspace,
 * with the deployment's facts in the environment. `rigor` as the program is
 * this rigor, as for runners.
 */
export async function runStageCommand(
  command: string[],
  opts: {cwd: string; env: Record<string, string>; timeoutMs: number},
): Promise<StageCommandRun> {
  const [program, args] = resolveCommand(command)
  const result = await execa(program, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: 'ignore',
    all: true,
    reject: false,
    timeout: opts.timeoutMs,
    encoding: 'utf8',
  })
  const output = String(result.all ?? '')
  return {
    command,
    exitCode: result.exitCode ?? null,
    timedOut: result.timedOut,
    output: output.length > OUTPUT_TAIL ? `…${output.slice(-OUTPUT_TAIL)}` : output,
    spawnError: result.failed && result.exitCode === undefined && !result.timedOut ? result.shortMessage : undefined,
  }
}

export function describeFailure(run: StageCommandRun): string {
  if (run.spawnError) return `could not start: ${run.spawnError}`
  if (run.timedOut) return 'timed out'
  return `exited with code ${run.exitCode}`
}
