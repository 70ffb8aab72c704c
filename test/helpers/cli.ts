import {spawn, spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {GIT_ENV} from './git-repo.js'

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real CLI binary, as a user would, in `cwd`. */
export function rigor(cwd: string, args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd, env: {...process.env, ...GIT_ENV, ...env}, encoding: 'utf8'})
  return {code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr}
}

/** The same, without blocking: for several workers at once. */
export function rigorAsync(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> & {
  pid?: number
  kill: (sig?: NodeJS.Signals) => boolean
  output: () => string
  /** stderr so far */
  errors: () => string
} {
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env: {...process.env, ...GIT_ENV, ...env}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const promise = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr})),
  ) as Promise<CliResult> & {
    pid?: number
    /** false when the process had exited already: the signal reached nothing */
    kill: (sig?: NodeJS.Signals) => boolean
    output: () => string
    errors: () => string
  }
  promise.pid = child.pid
  promise.output = () => stdout
  promise.errors = () => stderr
  promise.kill = (sig = 'SIGTERM') => child.kill(sig)
  return promise
}

export function json<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
}

/** A runner command that writes a verdict with the given metrics (a tiny fixture). */
export function verdictRunner(metrics: Record<string, number>, extra: Record<string, unknown> = {}): string[] {
  const body = JSON.stringify({metrics, ...extra})
  return [process.execPath, '-e', `require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', ${JSON.stringify(body)})`]
}

/** As verdictRunner, and it writes out/returns.csv too: a strategy run rigor audit can judge (it counts in the audit backlog). */
export function returnsRunner(metrics: Record<string, number>, extra: Record<string, unknown> = {}): string[] {
  const body = JSON.stringify({metrics, ...extra})
  const returns = 'date,return\n2024-01-02,0.01\n2024-01-03,-0.005\n'
  return [
    process.execPath,
    '-e',
    `const fs = require('fs'); fs.writeFileSync(process.env.RIGOR_OUT + '/returns.csv', ${JSON.stringify(returns)}); fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', ${JSON.stringify(body)})`,
  ]
}
