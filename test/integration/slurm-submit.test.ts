import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {expectOutput} from '../helpers/output-schema.js'
import {json, rigor} from '../helpers/cli.js'
import {pidsWithEnv, SLOW, waitFor} from '../helpers/processes.js'
import {SH_OK} from '../fixtures/runners.js'
import {manyNodes, workspace, writeSpec} from './helpers.js'
import {ids} from './slurm-helpers.js'
import {git} from './remote-helpers.js'

/**
 * `rigor slurm submit --dry-run` and everything checked before sbatch runs, and
 * `rigor work --stop-at`: none of it needs a cluster (slurm.test.ts runs one).
 */

const FIXTURES = resolve(__dirname, '../fixtures')
let root: string | undefined
afterEach(() => {
  if (root) rmSync(root, {recursive: true, force: true})
  root = undefined
})

/** A workspace pushed to a bare remote (`origin` of a clone); `slurm` is the slurm: section committed on the remote. */
function pushed(slurm: string, prefix = 'rigor-slurm-submit-'): {clone: string; bare: string} {
  root = mkdtempSync(join(tmpdir(), prefix))
  const origin = workspace()
  writeFileSync(join(origin.dir, 'rigor.yaml'), `${readFileSync(join(origin.dir, 'rigor.yaml'), 'utf8')}\nslurm: ${slurm}\n`)
  origin.git('commit', '-qam', 'slurm config')
  const bare = join(root, 'shared remote.git')
  git(root, 'clone', '-q', '--bare', origin.dir, bare)
  origin.cleanup()
  const clone = join(root, 'clone')
  git(root, 'clone', '-q', bare, clone)
  return {clone, bare}
}

/** The record `rigor slurm submit` keeps of array 5 (one worker), as if it had been submitted from `clone`. */
function recordArray(clone: string, output: string, remote = 'origin'): void {
  const record = {
    job_id: '5',
    submitted_at: new Date().toISOString(),
    workers: 1,
    parallel: 1,
    remote,
    remote_url: 'x',
    branch: 'main',
    config_commit: 'c',
    script: 's',
    output,
    sbatch: [],
  }
  mkdirSync(join(clone, '.git/rigor/slurm/logs'), {recursive: true})
  writeFileSync(join(clone, '.git/rigor/slurm/5.json'), JSON.stringify(record))
}

const slurmFiles = (clone: string) => {
  const dir = join(clone, '.git/rigor/slurm')
  return existsSync(dir) ? readdirSync(dir).filter((f) => f !== 'logs') : []
}

describe('rigor slurm submit --dry-run', () => {
  it("prints the script from the remote's committed rigor.yaml, never from the working tree or unpushed commits", () => {
    const {clone, bare} = pushed('{time: "04:00:00", partition: short, modules: [python/3.11], setup: ["source ~/venv/bin/activate"]}')
    // a committed but unpushed change, and an uncommitted one: neither reaches the cluster
    writeFileSync(join(clone, 'rigor.yaml'), readFileSync(join(clone, 'rigor.yaml'), 'utf8').replace('~/venv', '~/unpushed'))
    git(clone, 'commit', '-qam', 'not pushed')
    writeFileSync(join(clone, 'rigor.yaml'), readFileSync(join(clone, 'rigor.yaml'), 'utf8').replace('~/unpushed', '~/draft'))

    const result = rigor(clone, ['slurm', 'submit', '--workers', '3', '--parallel', '4', '--dry-run', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const out = json(result)
    expectOutput('slurm submit', out)
    expect(out).toMatchObject({dry_run: true, job_id: null, record: null, workers: 3, parallel: 4, remote: 'origin', remote_url: bare})
    expect(out.config_commit).toBe(git(bare, 'rev-parse', 'main'))
    expect(out.warnings.join('\n')).toMatch(/state commits that origin does not/)
    expect(out.text).toContain(
      '#SBATCH --array=0-2\n#SBATCH --signal=B:TERM@120\n#SBATCH --open-mode=append\n#SBATCH --partition=short\n#SBATCH --time=04:00:00\n#SBATCH --cpus-per-task=4',
    )
    expect(out.text).toContain('module load python/3.11\nsource ~/venv/bin/activate\n')
    expect(out.text).not.toMatch(/unpushed|draft/)
    // the remote's path holds a space: quoted
    expect(out.text).toContain(`remote_url='${bare}'`)
    expect(readFileSync(out.script, 'utf8')).toBe(out.text)
    expect(spawnSync('bash', ['-n', out.script]).status).toBe(0)
    expect(slurmFiles(clone)).toEqual(['dry-run.sh'])

    // without --json: the script itself, for review
    const plain = rigor(clone, ['slurm', 'submit', '--dry-run'])
    expect(plain.stdout).toContain('#!/bin/bash\n')
    expect(plain.stdout).toContain('exec ')
    expect(plain.stderr).toMatch(/Warning: .*push them first/)
  })

  it('refuses bad input with exit 2, naming the flag or the field and the fix, and writes nothing', () => {
    const {clone} = pushed('{time: "00:05:00"}')
    const cases: Array<[string[], RegExp]> = [
      [['--partition', 'a b'], /--partition.*not a partition name/],
      [['--time', '2h'], /--time.*not a time limit/],
      // Slurm reads a limit it cannot hold as no limit at all
      [['--time', '99999999999999999999'], /--time.*longer than the most rigor takes, 365 days/],
      [['--mem', 'lots'], /--mem.*not a memory size/],
      [['--grace', '10m'], /slurm\.grace|--grace.*no time to work within the time limit 00:05:00/],
      [['--scratch', 'scratch'], /--scratch.*absolute/],
      [['--workers', '0'], /--workers.*at least 1/],
      [['--remote', 'nowhere'], /no git remote named "nowhere"/],
    ]
    for (const [flags, message] of cases) {
      const result = rigor(clone, ['slurm', 'submit', ...flags, '--dry-run'])
      expect(result.code, flags.join(' ')).toBe(2)
      expect(result.stderr, flags.join(' ')).toMatch(message)
      expect(result.stderr).toContain('Fix: ')
    }
    expect(slurmFiles(clone)).toEqual([])
  })

  it("gives sbatch --output the clone's path with % doubled (sbatch reads %x as the job name), and refuses a backslash", () => {
    const {clone} = pushed('{}', 'rigor 100%x é-')
    const out = json(rigor(clone, ['slurm', 'submit', '--dry-run', '--json']))
    const logs = join(clone, '.git/rigor/slurm/logs')
    expect(out.output).toBe(join(logs, '%A_%a.out'))
    expect(out.sbatch).toContain(`--output=${logs.replace(/%/g, '%%')}/%A_%a.out`)

    // sbatch drops a backslash and with it every %A and %a: each task's log would go nowhere
    rmSync(root!, {recursive: true, force: true})
    const {clone: slashed} = pushed('{}', 'rigor back\\slash-')
    const refused = rigor(slashed, ['slurm', 'submit', '--dry-run'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/backslash[\s\S]*Fix: /)
    expect(slurmFiles(slashed)).toEqual([])
  })

  it("refuses a bad slurm: section on the remote's rigor.yaml, naming the file and the field", () => {
    const {clone} = pushed('{setup: [echo ok], modules: ["python 3"]}')
    const result = rigor(clone, ['slurm', 'submit', '--dry-run'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/rigor\.yaml \(at main\), field "slurm\.modules\[0\]".*not a module name/)
    expect(slurmFiles(clone)).toEqual([])
  })

  it("status counts a task's nodes, not its commits: a claim commit of several nodes counts each", () => {
    const {clone} = pushed('{}')
    writeSpec(clone, manyNodes(3, SH_OK, 'p'))
    expect(rigor(clone, ['seed', 'spec.yaml', '--remote', 'origin']).code).toBe(0)
    // what a task does: one worker, claiming ahead (one commit claims all three)
    const worked = rigor(clone, ['work', '--remote', 'origin', '--worker', 'slurm-5-0', '--prefetch', '3'])
    expect(worked.code, worked.stderr).toBe(0)
    expect(git(clone, 'log', '--format=%s', 'origin/main')).toContain('claim 3 nodes')
    recordArray(clone, join(clone, '.git/rigor/slurm/logs/%A_%a.out'))
    // Slurm has forgotten the job: scontrol says so (a stand-in, so no cluster is needed)
    const bin = join(root!, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'scontrol'), '#!/bin/sh\necho "slurm_load_jobs error: Invalid job id specified" >&2\nexit 1\n', {mode: 0o755})
    const status = rigor(clone, ['slurm', 'status', '5', '--json'], {PATH: `${bin}:${process.env.PATH}`})
    expect(status.code, status.stderr).toBe(0)
    expectOutput('slurm status', json(status))
    const [task] = json(status).arrays[0].tasks
    expect(task).toMatchObject({worker: 'slurm-5-0', state: 'unknown', claimed: 3, released: 0, nodes: ids(3, 'p')})
  })

  it('status reads what the tasks did on the remote the array was submitted to, not on origin', () => {
    const {clone} = pushed('{}')
    git(clone, 'remote', 'rename', 'origin', 'shared')
    writeSpec(clone, manyNodes(2, SH_OK, 'p'))
    expect(rigor(clone, ['seed', 'spec.yaml', '--remote', 'shared']).code).toBe(0)
    // what the task of an array submitted with --remote shared does
    expect(rigor(clone, ['work', '--remote', 'shared', '--worker', 'slurm-5-0']).code).toBe(0)
    recordArray(clone, 'o', 'shared')
    const bin = join(root!, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'scontrol'), '#!/bin/sh\necho "slurm_load_jobs error: Invalid job id specified" >&2\nexit 1\n', {mode: 0o755})
    const env = {PATH: `${bin}:${process.env.PATH}`}
    for (const args of [[], ['5']]) {
      const status = rigor(clone, ['slurm', 'status', ...args, '--json'], env)
      expect(status.code, status.stderr).toBe(0)
      expect(json(status).arrays.map((a: {job_id: string}) => a.job_id)).toEqual(['5'])
      expect(json(status).arrays[0].tasks[0]).toMatchObject({worker: 'slurm-5-0', claimed: 2, nodes: ids(2, 'p')})
    }
    // --remote still says where to read
    expect(rigor(clone, ['slurm', 'status', '--remote', 'origin'], env).stderr).toContain('no git remote named "origin"')
  })

  it("an array's id that Slurm now gives another job (ids wrap, a cluster is reinstalled) is never cancelled", () => {
    const {clone} = pushed('{}')
    recordArray(clone, 'o')
    // stand-ins: job 5 is now someone's training run; scancel notes that it was called
    const bin = join(root!, 'bin')
    mkdirSync(bin)
    const line =
      'JobId=5 ArrayJobId=5 ArrayTaskId=0 JobName=train-resnet JobState=RUNNING Reason=None ExitCode=0:0 StartTime=1796172832 BatchHost=vm'
    writeFileSync(join(bin, 'scontrol'), `#!/bin/sh\necho '${line}'\n`, {mode: 0o755})
    writeFileSync(join(bin, 'scancel'), `#!/bin/sh\necho "$@" >> '${join(root!, 'scancel.args')}'\n`, {mode: 0o755})
    const env = {PATH: `${bin}:${process.env.PATH}`}
    for (const args of [[], ['5'], ['5', '--kill']]) {
      const cancel = rigor(clone, ['slurm', 'cancel', ...args], env)
      expect(cancel.code, cancel.stderr).toBe(3)
    }
    expect(existsSync(join(root!, 'scancel.args'))).toBe(false)
    const [array] = json(rigor(clone, ['slurm', 'status', '--json'], env)).arrays
    expect(array).toMatchObject({job_id: '5', known_to_slurm: false, tasks: [{task: '0', state: 'unknown'}]})
  })

  it('the Slurm controller down: submit, status and cancel say so and how to check it, and submit keeps nothing', () => {
    const {clone} = pushed('{}')
    recordArray(clone, 'o')
    // stand-ins saying what Slurm's clients say when slurmctld does not answer
    const bin = join(root!, 'bin')
    mkdirSync(bin)
    for (const [program, message] of [
      ['sbatch', 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)'],
      ['scontrol', 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)'],
    ])
      writeFileSync(join(bin, program!), `#!/bin/sh\necho '${message}' >&2\nexit 1\n`, {mode: 0o755})
    const env = {PATH: `${bin}:${process.env.PATH}`}
    const before = slurmFiles(clone)
    for (const args of [['submit'], ['status'], ['cancel', '5']]) {
      const result = rigor(clone, ['slurm', ...args], env)
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr, args.join(' ')).toMatch(
        /Unable to contact slurm controller[\s\S]*Fix: the Slurm controller does not answer \(`scontrol ping`/,
      )
    }
    expect(slurmFiles(clone)).toEqual(before)
  })

  it('an array larger than the cluster takes: the fix names MaxArraySize and --workers, and nothing is kept', () => {
    const {clone} = pushed('{}')
    const bin = join(root!, 'bin')
    mkdirSync(bin)
    // what sbatch says when --array passes the cluster's MaxArraySize
    writeFileSync(
      join(bin, 'sbatch'),
      "#!/bin/sh\necho 'sbatch: error: Batch job submission failed: Invalid job array specification' >&2\nexit 1\n",
      {mode: 0o755},
    )
    const before = slurmFiles(clone)
    const result = rigor(clone, ['slurm', 'submit', '--workers', '2000'], {PATH: `${bin}:${process.env.PATH}`})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Fix: the array has more tasks than this cluster takes \(its MaxArraySize[\s\S]*give fewer --workers/)
    expect(slurmFiles(clone)).toEqual(before)
  })

  it('status with no array submitted says so; cancel has nothing to do (exit 3)', () => {
    const {clone} = pushed('{}')
    const status = rigor(clone, ['slurm', 'status', '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(json(status)).toEqual({arrays: [], unreadable: []})
    expectOutput('slurm status', json(status))
    const cancel = rigor(clone, ['slurm', 'cancel'])
    expect(cancel.code).toBe(3)
    expect(cancel.stderr).toContain('no array was submitted from this clone')
    expect(rigor(clone, ['slurm', 'cancel', '12;rm']).code).toBe(2)
  })
})

describe('rigor work --stop-at', () => {
  it('stops at the time given: runners stopped, claims put back, exit 0, stopped: deadline', {timeout: SLOW}, async () => {
    const repo = workspace()
    root = repo.dir
    writeSpec(repo.dir, {
      nodes: [0, 1].map((i) => ({id: `d/n${i}`, team: 'default', run: {command: ['node', join(FIXTURES, 'forever-runner.cjs')]}})),
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const at = new Date(Date.now() + 6000)
    const result = rigor(repo.dir, ['work', '--parallel', '2', '--stop-at', `@${Math.floor(at.getTime() / 1000)}`, '--json'])
    expect(result.code, result.stderr).toBe(0)
    // both slots claim well before the deadline on an idle machine; on a loaded one the second may not have yet
    const summary = json(result)
    expect(summary.claimed).toBeGreaterThanOrEqual(1)
    expect(summary).toMatchObject({released: summary.claimed, finished: 0, stopped_because: 'deadline'})
    expect(Date.now()).toBeGreaterThanOrEqual(Math.floor(at.getTime() / 1000) * 1000)
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status).toMatchObject({pending: 2, running: 0})
    await waitFor('no runner left', () => pidsWithEnv(`RIGOR_WORKSPACE=${repo.dir}`).length === 0)

    // a deadline already past (a task that started after end - grace): nothing is claimed, so nothing is pushed and put back
    const head = repo.git('rev-parse', 'main').toString().trim()
    const late = rigor(repo.dir, ['work', '--parallel', '2', '--stop-at', '@1', '--json'])
    expect(late.code, late.stderr).toBe(0)
    expect(json(late)).toMatchObject({claimed: 0, released: 0, stopped_because: 'deadline'})
    expect(repo.git('rev-parse', 'main').toString().trim()).toBe(head)

    const bad = rigor(repo.dir, ['work', '--stop-at', '2025-03-01 17:00'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--stop-at.*not a time[\s\S]*Fix: /)
  })
})
