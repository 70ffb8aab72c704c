import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterAll, afterEach, beforeAll, expect} from 'vitest'
import {expectOutput} from '../helpers/output-schema.js'
import {type CliResult, json, rigor} from '../helpers/cli.js'
import {type SlurmCluster, startSlurmCluster} from '../helpers/slurm-cluster.js'
import {git, remoteWithClones} from './remote-helpers.js'

/**
 * What slurm.test.ts and slurm-cancel.test.ts share. Each file starts its own
 * one-node cluster (test/helpers/slurm-cluster.ts: own temp dir, munge socket and
 * ports, so two run side by side) once for its tests, and stops it, daemons and
 * all, whatever happens.
 */

const FIXTURES = resolve(__dirname, '../fixtures')
export const SLOW_RUNNER = ['node', join(FIXTURES, 'slow-runner.cjs')]

export const ids = (n: number, prefix = 'bulk') => Array.from({length: n}, (_, i) => `${prefix}/n${String(i).padStart(4, '0')}`)

export const taskLog = (clone: string, jobId: string, task: number) =>
  readFileSync(join(clone, '.git/rigor/slurm/logs', `${jobId}_${task}.out`), 'utf8')

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
  // the workspaces live under a path sbatch would misread unquoted: a space, and %x (sbatch --output's job name)
  let parent: string | undefined
  beforeAll(async () => {
    if (!skip) cluster = await startSlurmCluster()
    parent = mkdtempSync('/tmp/rigor slurm 100%x-')
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
    if (parent) rmSync(parent, {recursive: true, force: true})
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
      // a lease in `config` replaces the one rigor init wrote
      const made = remoteWithClones(
        1,
        spec,
        (initialised) => {
          const base = initialised.replace(config.includes('lease:') ? /^lease:.*$/m : /$^/, '')
          return `${base}\n${config}\n`
        },
        parent,
      )
      root = made.root
      const scratch = join(root, 'scratch')
      mkdirSync(scratch)
      return {bare: made.bare, clone: made.clones[0]!, scratch}
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
