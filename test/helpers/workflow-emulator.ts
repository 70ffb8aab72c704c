/**
 * Runs a GitHub Actions workflow the way a runner would, close enough to test
 * what rigor's generated workflow does: each job in `needs` order (matrix
 * entries at once), its `run:` steps in order with `bash --noprofile --norc -eo
 * pipefail` in a fresh clone of a bare remote, `${{ }}` expressions substituted
 * from the contexts given (an expression it does not know fails the run), and
 * GITHUB_ENV, GITHUB_PATH and RUNNER_TEMP as on GitHub. `uses:` steps are
 * emulated: actions/checkout clones the remote at the ref asked for, setup-node
 * checks its inputs and uses the Node that runs the test.
 */
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'

export interface Contexts {
  github: Record<string, string>
  secrets: Record<string, string>
  vars: Record<string, string>
  inputs: Record<string, string>
}

export interface EmulatorOptions {
  /** the bare repository that plays github.com */
  remote: string
  /** where jobs get their workspaces, runner temp dirs and npm prefixes */
  root: string
  contexts: Contexts
  /** PATH entries ahead of the system's (a fake gh) */
  path: string[]
  /** variables every step gets besides GitHub's own (HOME, npm's cache, proxies) */
  env: Record<string, string>
  /** run only the first N entries of each matrix */
  matrixLimit?: number
  /** run only these jobs (their needs are not run) */
  only?: string[]
  /** called after each job, e.g. to look at the remote between jobs */
  afterJob?: (job: string, runs: JobRun[]) => void
}

export interface StepRun {
  name: string
  skipped: boolean
  code: number
  output: string
}

export interface JobRun {
  job: string
  matrix: Record<string, unknown>
  workspace: string
  runnerTemp: string
  steps: StepRun[]
  ok: boolean
}

type Step = {name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown>; if?: string}
type Job = {
  name?: string
  needs?: string | string[]
  if?: string
  env?: Record<string, unknown>
  steps: Step[]
  strategy?: {matrix?: Record<string, unknown[]>}
  defaults?: unknown
}

/** Every job's runs, keyed by job id, in the order they ran. */
export async function runWorkflow(text: string, opts: EmulatorOptions): Promise<Map<string, JobRun[]>> {
  const workflow = parse(text) as {env?: Record<string, unknown>; jobs: Record<string, Job>; defaults?: {run?: {shell?: string}}}
  if (workflow.defaults?.run?.shell !== 'bash')
    throw new Error('the emulator runs steps as GitHub runs `shell: bash`; the workflow must say so')
  const results = new Map<string, JobRun[]>()
  for (const id of needsOrder(workflow.jobs)) {
    if (opts.only && !opts.only.includes(id)) continue
    const job = workflow.jobs[id]!
    const needs = [job.needs ?? []].flat().filter((n) => results.has(n))
    const status = {failure: needs.some((n) => results.get(n)!.some((r) => !r.ok)), cancelled: false}
    if (!truthy(evaluate(stripBraces(job.if ?? 'success()'), {...opts.contexts, env: {}}, status))) {
      results.set(id, [])
      continue
    }
    const entries = matrixEntries(job.strategy?.matrix).slice(0, opts.matrixLimit ?? Infinity)
    const runs = await Promise.all(entries.map((matrix, i) => runJob(id, i, job, matrix, workflow.env ?? {}, opts)))
    results.set(id, runs)
    opts.afterJob?.(id, runs)
  }
  return results
}

function needsOrder(jobs: Record<string, Job>): string[] {
  const order: string[] = []
  const visit = (id: string, path: string[]) => {
    if (order.includes(id)) return
    if (path.includes(id)) throw new Error(`needs cycle: ${[...path, id].join(' -> ')}`)
    for (const need of [jobs[id]!.needs ?? []].flat()) visit(need, [...path, id])
    order.push(id)
  }
  for (const id of Object.keys(jobs)) visit(id, [])
  return order
}

function matrixEntries(matrix: Record<string, unknown[]> | undefined): Array<Record<string, unknown>> {
  let entries: Array<Record<string, unknown>> = [{}]
  for (const [key, values] of Object.entries(matrix ?? {})) {
    if (!Array.isArray(values)) throw new Error(`the emulator knows list matrices only (matrix.${key})`)
    entries = entries.flatMap((e) => values.map((v) => ({...e, [key]: v})))
  }
  return entries
}

async function runJob(
  id: string,
  index: number,
  job: Job,
  matrix: Record<string, unknown>,
  workflowEnv: Record<string, unknown>,
  opts: EmulatorOptions,
): Promise<JobRun> {
  const dir = join(opts.root, `${id}-${index}`)
  const workspace = join(dir, 'workspace')
  const runnerTemp = join(dir, 'temp')
  const prefix = join(dir, 'npm-prefix')
  for (const d of [runnerTemp, prefix]) mkdirSync(d, {recursive: true})
  const files = {
    GITHUB_ENV: join(dir, 'github_env'),
    GITHUB_PATH: join(dir, 'github_path'),
    GITHUB_OUTPUT: join(dir, 'github_output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  }
  for (const f of Object.values(files)) writeFileSync(f, '')
  const contexts = (env: Record<string, string>) => ({...opts.contexts, matrix: stringValues(matrix), env})
  // env as GitHub builds it: the workflow's, then the job's, each evaluated where it is declared
  const env: Record<string, string> = {}
  for (const scope of [workflowEnv, job.env ?? {}])
    for (const [k, v] of Object.entries(scope)) env[k] = interpolate(String(v), contexts(env))
  const run: JobRun = {job: id, matrix, workspace, runnerTemp, steps: [], ok: true}
  // names are expressions too: one the emulator does not know fails here
  if (job.name) interpolate(job.name, contexts(env))
  for (const [i, step] of job.steps.entries()) {
    const name = interpolate(step.name ?? step.uses ?? `step ${i + 1}`, contexts(env))
    const stepEnv = {...env}
    for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = interpolate(String(v), contexts(env))
    if (!truthy(evaluate(stripBraces(step.if ?? 'success()'), contexts(env), {failure: !run.ok, cancelled: false}))) {
      run.steps.push({name, skipped: true, code: 0, output: ''})
      continue
    }
    const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), contexts(env))]))
    let result: {code: number; output: string}
    if (step.uses) result = emulateAction(step.uses, withValues, workspace, opts.remote)
    else if (step.run !== undefined) {
      const script = interpolate(step.run, contexts(env))
      const githubEnv = readGithubEnv(files.GITHUB_ENV)
      const added = readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean).reverse()
      const processEnv = {
        ...opts.env,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_RUN_ID: opts.contexts.github.run_id!,
        GITHUB_RUN_ATTEMPT: opts.contexts.github.run_attempt!,
        GITHUB_REPOSITORY: opts.contexts.github.repository!,
        GITHUB_SERVER_URL: 'https://github.com',
        RUNNER_TEMP: runnerTemp,
        // a --global npm install would stay inside the test too
        npm_config_prefix: prefix,
        ...files,
        ...stepEnv,
        ...githubEnv,
        PATH: [...added, join(prefix, 'bin'), ...opts.path, opts.env.PATH].join(':'),
      }
      const scriptFile = join(runnerTemp, `step-${i}.sh`)
      writeFileSync(scriptFile, script)
      result = await bash(scriptFile, workspace, processEnv)
    } else throw new Error(`step ${name} has neither uses nor run`)
    run.steps.push({name, skipped: false, ...result})
    if (result.code !== 0) run.ok = false
  }
  return run
}

/** The actions the generated workflow uses, pinned to a full commit; anything else fails the test. */
function emulateAction(uses: string, inputs: Record<string, string>, workspace: string, remote: string): {code: number; output: string} {
  const [action, ref] = uses.split('@')
  if (!/^[0-9a-f]{40}$/.test(ref ?? '')) throw new Error(`${uses} is not pinned to a full commit`)
  const known = (...keys: string[]) => {
    for (const key of Object.keys(inputs)) if (!keys.includes(key)) throw new Error(`the emulator does not know ${action}'s input ${key}`)
  }
  if (action === 'actions/checkout') {
    known('ref', 'fetch-depth', 'persist-credentials')
    if (inputs['fetch-depth'] !== '0') throw new Error('rigor needs the whole history (fetch-depth: 0)')
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    git(join(workspace, '..'), 'clone', '-q', '--no-checkout', remote, workspace)
    // a branch name: checked out as a local branch at the remote's tip, as actions/checkout does
    const branch = inputs.ref ?? git(remote, 'symbolic-ref', '--short', 'HEAD').trim()
    git(workspace, 'checkout', '-q', '-B', branch, `refs/remotes/origin/${branch}`)
    return {code: 0, output: `checked out ${branch}`}
  }
  if (action === 'actions/setup-node') {
    known('node-version', 'cache', 'cache-dependency-path')
    // setup-node's npm cache fails the step when the file its key is made of is missing
    if (inputs.cache && !existsSync(join(workspace, inputs['cache-dependency-path'] ?? 'package-lock.json'))) {
      return {code: 1, output: `Dependencies lock file is not found: ${inputs['cache-dependency-path']}`}
    }
    return {code: 0, output: `node ${process.version} (asked for ${inputs['node-version']})`}
  }
  throw new Error(`the emulator does not know the action ${uses}`)
}

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{code: number; output: string}> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('close', (code) => resolve({code: code ?? -1, output}))
  })
}

/** KEY=value and KEY<<DELIMITER lines, as GitHub reads $GITHUB_ENV. */
function readGithubEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([A-Za-z_][A-Za-z0-9_]*)<<(.+)$/.exec(lines[i]!)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1)
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (lines[i]!.includes('=')) out[lines[i]!.slice(0, lines[i]!.indexOf('='))] = lines[i]!.slice(lines[i]!.indexOf('=') + 1)
  }
  return out
}

const stringValues = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]))
const stripBraces = (s: string): string => s.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1')
const truthy = (v: unknown): boolean => v !== '' && v !== false && v !== undefined && v !== null && v !== 0

type EvalContexts = Contexts & {env: Record<string, string>; matrix?: Record<string, string>}

/** Replaces every ${{ expression }} in `text`. */
export function interpolate(text: string, contexts: EvalContexts): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => String(evaluate(expr, contexts, {failure: false, cancelled: false})))
}

/**
 * The part of GitHub's expression language the workflow uses: context lookups
 * (matrix, github, secrets, vars, inputs, env), 'strings', `a || b`, `!x` and
 * the status functions. Anything else, or a name its context does not hold, throws.
 */
export function evaluate(expr: string, contexts: EvalContexts, status: {failure: boolean; cancelled: boolean}): unknown {
  const alternatives = expr.split('||').map((s) => s.trim())
  if (alternatives.length > 1) {
    for (const alt of alternatives) {
      const value = evaluate(alt, contexts, status)
      if (truthy(value)) return value
    }
    return evaluate(alternatives.at(-1)!, contexts, status)
  }
  const e = expr.trim()
  if (e.startsWith('!')) return !truthy(evaluate(e.slice(1), contexts, status))
  const literal = /^'((?:[^']|'')*)'$/.exec(e)
  if (literal) return literal[1]!.replaceAll("''", "'")
  const fn = /^(always|success|failure|cancelled)\(\)$/.exec(e)
  if (fn)
    return {always: true, success: !status.failure && !status.cancelled, failure: status.failure, cancelled: status.cancelled}[
      fn[1] as 'always'
    ]
  const path = /^(matrix|github|secrets|vars|inputs|env)\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(e)
  if (path) {
    const context = (contexts as unknown as Record<string, Record<string, string> | undefined>)[path[1]!]
    if (!context || !Object.hasOwn(context, path[2]!)) throw new Error(`the emulator does not know the expression ${e}`)
    return context[path[2]!]
  }
  throw new Error(`the emulator does not know the expression ${e}`)
}
