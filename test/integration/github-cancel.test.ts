import {spawn} from 'node:child_process'
import {closeSync, openSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {BIN, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {waitFor} from '../helpers/processes.js'
import {interpolate} from '../helpers/workflow-emulator.js'
import {git, runnerSetup, WORKFLOW} from './github-helpers.js'
import {writeSpec} from './helpers.js'

const PINNED = `git+https://github.com/example-lab/rigor.git#${'a1b2c3d4'.repeat(5)}`

let repo: TempRepo | undefined
let scratchRepo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  scratchRepo?.cleanup()
  repo = scratchRepo = undefined
})

/**
 * How a runner cancels a step (docs.github.com, "Workflow cancellation reference"; a run's timeout-minutes too): SIGINT
 * to the step's entry process, which for `run:` is bash, not the commands it started; SIGTERM 7.5 s later; the process
 * tree killed 2.5 s after that.
 */
async function cancelAsGitHubDoes(bash: ReturnType<typeof spawn>): Promise<void> {
  const exited = new Promise<void>((resolve) => bash.once('exit', () => resolve()))
  const within = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
  bash.kill('SIGINT')
  if (await within(7500)) return
  bash.kill('SIGTERM')
  await within(2500)
  try {
    process.kill(-bash.pid!, 'SIGKILL')
  } catch {}
}

describe('the generated workflow, cancelled', () => {
  it('a worker step cancelled by GitHub (or its timeout) puts its claims back on the remote before the runner kills it', {
    timeout: 120_000,
  }, async () => {
    repo = gitRepo()
    expect(rigor(repo.dir, ['init', '--github', '--install', PINNED]).code).toBe(0)
    writeSpec(repo.dir, {nodes: [{id: 'long/a', team: 'default', run: {command: ['sleep', '300'], timeout: '10m'}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    scratchRepo = gitRepo({init: false})
    const scratch = scratchRepo.dir
    const remote = join(scratch, 'remote.git')
    const job = join(scratch, 'job')
    git(scratch, 'clone', '-q', '--bare', repo.dir, remote)
    git(scratch, 'clone', '-q', remote, job)
    const setup = runnerSetup(scratch)
    symlinkSync(BIN, join(setup.bin, 'rigor'))

    const workflow = parse(readFileSync(join(repo.dir, WORKFLOW), 'utf8'))
    const step = workflow.jobs.work.steps.find((s: {run?: string}) => s.run?.includes('rigor work --remote'))
    const contexts = {
      github: {run_id: '7', run_attempt: '1'},
      secrets: {},
      vars: {},
      inputs: {parallel: '1'},
      matrix: {worker: '1'},
      env: workflow.env,
    }
    const env: Record<string, string> = {...setup.env, ...workflow.env, PATH: `${setup.bin}:${setup.env.PATH}`}
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(String(v), contexts)
    const script = join(scratch, 'step.sh')
    writeFileSync(script, interpolate(step.run, contexts))
    const log = openSync(join(scratch, 'step.log'), 'w')
    const bash = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: job,
      env,
      detached: true,
      stdio: ['ignore', log, log],
    })
    const subject = () => git(remote, 'log', '-1', '--format=%s', 'main')
    const output = () => readFileSync(join(scratch, 'step.log'), 'utf8')
    await waitFor('the claim on the remote', () => {
      if (bash.exitCode !== null) throw new Error(`the step ended: ${output()}`)
      return subject() === 'rigor: claim long/a'
    })
    await cancelAsGitHubDoes(bash)
    closeSync(log)

    expect(subject(), output()).toBe('rigor: release long/a')
    expect(git(remote, 'show', 'main:experiments/long/a/node.yaml')).toContain('status: pending')
  })
})
