import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'
import {afterAll, afterEach, beforeAll, expect} from 'vitest'
import {outputSchemaPath} from '../../src/cli/schemas/generate.js'
import {type CliResult, json, rigor} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {type SlurmCluster, startSlurmCluster} from '../helpers/slurm-cluster.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * What slurm.test.ts and slurm-cancel.test.ts share. Each file starts its own
 * one-node cluster (test/helpers/slurm-cluster.ts: own temp dir, munge socket and
 * ports, so two run side by side) once for its tests, and stops it, daemons and
 * all, whatever happens.
 */

const ROOT = resolve(__dirname, '../..')
const FIXTURES = resolve(__dirname, '../fixtures')
export const SLOW_RUNNER = ['node', join(FIXTURES, 'slow-runner.cjs')]

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()

const ajv = new Ajv2020({strict: false, allErrors: true})
export function expectOutput(command: string, value: unknown): void {
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, outputSchemaPath(command)), 'utf8')))
  expect(validate(value), `${command}: ${ajv.errorsText(validate.errors)}`).toBe(true)
}

export const ids = (n: number, prefix = 'bulk') => Array.from({length: n}, (_, i) => `${prefix}/n${String(i).padStart(4, '0')}`)

export const taskLog = (clone: string, jobId: string, task: number) =>
  readFileSync(join(clone, '.git/rigor/slurm/logs', `${jobId}_${task}.out`), 'utf8')

/** Per node, how many commits of `action` name it: a verdict names its node first (then its spawns); a claim or a release every node it holds (--prefetch claims several). */
export function actions(bare: string, action: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of git(bare, 'log', '--format=%B%x00', 'main').split('\0')) {
    if (!new RegExp(`^Rigor-Action: ${action}$`, 'm').test(message)) continue
    const nodes = [...message.matchAll(/^Rigor-Node: (.+)$/gm)].map((m) => m[1]!)
    for (const node of action === 'verdict' ? nodes.slice(0, 1) : nodes) counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}

export interface SlurmKit {
  cluster(): SlurmCluster
  /** rigor with the cluster's SLURM_CONF */
  cli(dir: string, args: string[], env?: Record<string, string>): CliResult
  /** A bare remote holding a seeded workspace (config committed), a clone to submit from, and scratch for the tasks. */
  remoteWorkspace(spec: unknown, config: string): {bare: string; clone: string; scratch: string}
  /** Submits from `clone`; sbatch passes the environment on to the tasks (RIGOR_TEST_SLEEP_MS for the slow runner). */
  submit(clone: string, args: string[], env?: Record<string, string>): string
  /** the remote's status counts, seen from a fresh clone */
  remoteStatus(bare: string): Record<string, number>
}

/** Starts a cluster before the file's tests and stops it after them (unless `skip`); each test's temp dir is removed after it. */
export function slurmKit(skip: string | undefined): SlurmKit {
  let cluster: SlurmCluster | undefined
  let root: string | undefined
  beforeAll(async () => {
    if (!skip) cluster = await startSlurmCluster()
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
  }, 120_000)
  afterEach(() => {
    if (root) rmSync(root, {recursive: true, force: true})
    root = undefined
  })
  const started = (): SlurmCluster => {
    if (!cluster) throw new Error('the Slurm test cluster is not running')
    return cluster
  }
  const cli = (dir: string, args: string[], env: Record<string, string> = {}) => rigor(dir, args, {...started().env, ...env})
  return {
    cluster: started,
    cli,
    remoteWorkspace(spec, config) {
      root = mkdtempSync(join('/tmp', 'rigor-slurm-test-'))
      const origin = workspace()
      const file = join(origin.dir, 'rigor.yaml')
      // a lease in `config` replaces the one rigor init wrote
      const base = readFileSync(file, 'utf8').replace(config.includes('lease:') ? /^lease:.*$/m : /$^/, '')
      writeFileSync(file, `${base}\n${config}\n`)
      origin.git('commit', '-qam', 'config')
      writeSpec(origin.dir, spec)
      expect(rigor(origin.dir, ['seed', 'spec.yaml']).code).toBe(0)
      const bare = join(root, 'remote.git')
      git(root, 'clone', '-q', '--bare', origin.dir, bare)
      origin.cleanup()
      const clone = join(root, 'submitter')
      git(root, 'clone', '-q', bare, clone)
      const scratch = join(root, 'scratch')
      mkdirSync(scratch)
      return {bare, clone, scratch}
    },
    submit(clone, args, env = {}) {
      const result = cli(clone, ['slurm', 'submit', ...args, '--json'], env)
      expect(result.code, result.stderr).toBe(0)
      const submitted = json(result)
      expectOutput('slurm submit', submitted)
      return submitted.job_id as string
    },
    remoteStatus(bare) {
      const fresh = join(root!, `look-${Math.random().toString(16).slice(2)}`)
      git(root!, 'clone', '-q', bare, fresh)
      const status = json(rigor(fresh, ['status', '--json'])).by_status
      rmSync(fresh, {recursive: true, force: true})
      return status
    },
  }
}
