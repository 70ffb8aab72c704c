import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {InputError} from '../../src/core/errors.js'
import {expandTaskIds, isRecordedJob, parseTaskLine, REST} from '../../src/core/slurm/cluster.js'
import {absoluteRemoteUrl, planSubmission, type PlanContext} from '../../src/core/slurm/plan.js'
import {type JobPlan, renderJobScript} from '../../src/core/slurm/script.js'
import {parseConfig} from '../../src/core/state/config.js'
import {parseSlurmTime, parseStopTime, sbatchOptionProblem, slurmMemoryProblem, slurmPartitionProblem} from '../../src/core/validation.js'

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
  dir = undefined
})

const plan = (over: Partial<JobPlan> = {}): JobPlan => ({
  workers: 4,
  parallel: 2,
  cpusPerTask: 2,
  graceSeconds: 90,
  modules: [],
  setup: [],
  sbatch: [],
  rigor: ['/usr/bin/node', '/opt/rigor/bin/run.js'],
  remoteUrl: '/shared/research.git',
  branch: 'main',
  configCommit: 'a'.repeat(40),
  ...over,
})

const context = (over: Partial<PlanContext> = {}): PlanContext => ({
  config: undefined,
  configFile: 'rigor.yaml (at origin/main)',
  configCommit: 'b'.repeat(40),
  branch: 'main',
  remoteUrl: '/shared/research.git',
  defaultRigor: ['/usr/bin/node', '/opt/rigor/bin/run.js'],
  ...over,
})

/** The NUL-separated argv a stub recorded. */
const argvIn = (file: string) => readFileSync(file, 'utf8').split('\0').slice(0, -1)

/** A stub program that records its argv (NUL-separated) and the value of RIGOR_TEST_MARK. */
function stub(path: string, record: string, extra = ''): void {
  writeFileSync(path, `#!/bin/bash\nprintf '%s\\0' "$@" > '${record}'\nprintf '%s' "\${RIGOR_TEST_MARK:-}" > '${record}.mark'\n${extra}\n`)
  chmodSync(path, 0o755)
}

describe('the job script of rigor slurm submit', () => {
  it('has the array, the warning signal for the batch shell, and the resources as #SBATCH lines', () => {
    const text = renderJobScript(plan({partition: 'short,long', time: '02:00:00', mem: '16G', sbatch: ['--account=lab-a', '--qos=normal']}))
    const directives = text.split('\n').filter((l) => l.startsWith('#SBATCH'))
    expect(directives).toEqual([
      '#SBATCH --job-name=rigor',
      '#SBATCH --array=0-3',
      '#SBATCH --signal=B:TERM@90',
      '#SBATCH --open-mode=append',
      '#SBATCH --partition=short,long',
      '#SBATCH --time=02:00:00',
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --mem=16G',
      '#SBATCH --account=lab-a',
      '#SBATCH --qos=normal',
    ])
    // sbatch reads #SBATCH lines only before the first command
    const firstCommand = text.split('\n').findIndex((l) => l !== '' && !l.startsWith('#'))
    expect(
      text
        .split('\n')
        .slice(firstCommand)
        .some((l) => l.startsWith('#SBATCH')),
    ).toBe(false)
    // exec: rigor is the batch shell, so B:TERM reaches it
    expect(text).toMatch(
      /^exec \/usr\/bin\/node \/opt\/rigor\/bin\/run\.js work --remote origin --worker "slurm-\$\{task\}" --parallel 2 /m,
    )
    expect(spawnSync('bash', ['-n'], {input: text}).status).toBe(0)
  })

  it('writes setup lines as they are, after the modules, and passes shellcheck', () => {
    const text = renderJobScript(
      plan({modules: ['python/3.11', 'gcc-12.2.0'], setup: ['source "$HOME/venv/bin/activate"', 'export OMP_NUM_THREADS=1']}),
    )
    expect(text).toContain(
      'module load python/3.11\nmodule load gcc-12.2.0\nsource "$HOME/venv/bin/activate"\nexport OMP_NUM_THREADS=1\nset -u\n',
    )
    expect(spawnSync('bash', ['-n'], {input: text}).status).toBe(0)
    if (!hasShellcheck) return
    // SC1090/SC1091: a sourced file of the user's own that shellcheck cannot follow
    const check = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '--exclude=SC1090,SC1091', '-'], {
      input: text,
      encoding: 'utf8',
    })
    expect(check.stdout, check.stdout).toBe('')
    const bare = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '-'], {input: renderJobScript(plan()), encoding: 'utf8'})
    expect(bare.status, bare.stdout).toBe(0)
    // paths single-quoted with a $ or a backtick in them: characters of the path, which shellcheck is told
    const odd = renderJobScript(
      plan({scratch: '/scratch/$USER/`x`', remoteUrl: "/shared/it's $HOME.git", rigor: ['/opt/$rigor/node', '/opt/$rigor/run.js']}),
    )
    const quoted = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '-'], {input: odd, encoding: 'utf8'})
    expect(quoted.status, quoted.stdout).toBe(0)
  })

  it('quotes every path and word it writes: run under stubs, git and rigor get exactly the argv meant', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-slurm-script-'))
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    const gitArgs = join(dir, 'git.args')
    const rigorArgs = join(dir, 'rigor.args')
    // git makes the clone directory, as a clone would; squeue tells the job's end time in seconds since 1970
    stub(join(bin, 'git'), gitArgs, 'mkdir -p "${@: -1}"')
    const squeueArgs = join(dir, 'squeue.args')
    stub(join(bin, 'squeue'), squeueArgs, 'echo 2000000000')
    const rigorDir = join(dir, `it's rigor $HOME "x"`)
    mkdirSync(rigorDir)
    stub(join(rigorDir, 'rigor'), rigorArgs)
    const scratch = join(dir, `scratch $(touch pwned) 'q' \`id\``)
    const remote = join(dir, `remote $USER 'x' ; echo.git`)
    const text = renderJobScript(
      plan({scratch, remoteUrl: remote, rigor: [join(rigorDir, 'rigor'), 'an arg'], setup: ['export RIGOR_TEST_MARK="set up; verbatim"']}),
    )
    const run = spawnSync('bash', ['-c', text], {
      cwd: dir,
      encoding: 'utf8',
      env: {PATH: `${bin}:/usr/bin:/bin`, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '3', SLURM_JOB_ID: '80'},
    })
    expect(run.status, run.stderr).toBe(0)
    expect(argvIn(gitArgs)).toEqual([
      'clone',
      '--quiet',
      '--no-tags',
      '--single-branch',
      '--branch',
      'main',
      '--',
      remote,
      `${scratch}/rigor-77-3`,
    ])
    expect(argvIn(rigorArgs)).toEqual([
      'an arg',
      'work',
      '--remote',
      'origin',
      '--worker',
      'slurm-77-3',
      '--parallel',
      '2',
      '--stop-at',
      `@${2_000_000_000 - 90}`,
    ])
    // the task by array and index: by its job id, the task whose id is the array's would list every task
    expect(argvIn(squeueArgs)).toEqual(['--noheader', '--jobs=77_3', '--format=%e'])
    expect(readFileSync(`${rigorArgs}.mark`, 'utf8')).toBe('set up; verbatim')
    expect(spawnSync('ls', [join(dir, 'pwned')]).status).not.toBe(0)
  })

  /** A temp dir with stub git (it makes the clone directory) and rigor recording their argv, and a squeue without an end time. */
  function stubbedTask(): string {
    dir = mkdtempSync(join(tmpdir(), 'rigor-slurm-script-'))
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    stub(join(bin, 'git'), join(dir, 'git.args'), 'mkdir -p "${@: -1}"')
    stub(join(bin, 'rigor'), join(dir, 'rigor.args'))
    // no time limit: squeue says N/A
    writeFileSync(join(bin, 'squeue'), '#!/bin/sh\necho N/A\n')
    chmodSync(join(bin, 'squeue'), 0o755)
    return bin
  }

  it('a SIGTERM from Slurm before rigor runs (it may come a minute early) ends the task with a word, nothing cloned or run', () => {
    const bin = stubbedTask()
    // the signal arrives while the set-up runs, as Slurm's would: sent to the batch shell alone
    const text = renderJobScript(plan({rigor: [join(bin, 'rigor')], setup: ['kill -TERM $$']}))
    const env = {PATH: `${bin}:/usr/bin:/bin`, SLURM_ARRAY_JOB_ID: '5', SLURM_ARRAY_TASK_ID: '0', SLURM_JOB_ID: '6', TMPDIR: dir}
    const run = spawnSync('bash', ['-c', text], {cwd: dir, encoding: 'utf8', env})
    expect(run.status, run.stderr).toBe(0)
    expect(run.stderr).toContain('told to stop (SIGTERM) before rigor started; nothing was claimed')
    expect(existsSync(join(dir, 'git.args'))).toBe(false)
    expect(existsSync(join(dir, 'rigor.args'))).toBe(false)
  })

  it('clones into $SLURM_TMPDIR, else $TMPDIR; without an end time rigor gets no --stop-at', () => {
    const bin = stubbedTask()
    const text = renderJobScript(plan({rigor: [join(bin, 'rigor')]}))
    const env = {PATH: `${bin}:/usr/bin:/bin`, SLURM_ARRAY_JOB_ID: '5', SLURM_ARRAY_TASK_ID: '0', SLURM_JOB_ID: '6'}
    for (const [extra, where] of [
      [{SLURM_TMPDIR: join(dir, 'slurm tmp'), TMPDIR: join(dir, 'tmp')}, join(dir, 'slurm tmp')],
      [{TMPDIR: join(dir, 'tmp')}, join(dir, 'tmp')],
    ] as const) {
      const run = spawnSync('bash', ['-c', text], {cwd: dir, encoding: 'utf8', env: {...env, ...extra}})
      expect(run.status, run.stderr).toBe(0)
      expect(argvIn(join(dir, 'git.args')).at(-1)).toBe(`${where}/rigor-5-0`)
      expect(argvIn(join(dir, 'rigor.args'))).toEqual(['work', '--remote', 'origin', '--worker', 'slurm-5-0', '--parallel', '2'])
    }
  })

  it('a requeued task (SLURM_RESTART_COUNT above 0) gives rigor --restarted: it takes back what its killed run held', () => {
    const bin = stubbedTask()
    const text = renderJobScript(plan({rigor: [join(bin, 'rigor')]}))
    const env = {PATH: `${bin}:/usr/bin:/bin`, SLURM_ARRAY_JOB_ID: '5', SLURM_ARRAY_TASK_ID: '0', SLURM_JOB_ID: '6', TMPDIR: dir}
    for (const [count, extra] of [
      ['0', []],
      ['2', ['--restarted']],
      ['x', []],
    ] as const) {
      const run = spawnSync('bash', ['-c', text], {cwd: dir, encoding: 'utf8', env: {...env, SLURM_RESTART_COUNT: count}})
      expect(run.status, run.stderr).toBe(0)
      expect(argvIn(join(dir, 'rigor.args')), count).toEqual([
        'work',
        '--remote',
        'origin',
        '--worker',
        'slurm-5-0',
        '--parallel',
        '2',
        ...extra,
      ])
    }
  })
})

describe('what rigor slurm submit accepts', () => {
  it('flags over rigor.yaml over defaults; cpus per task follow the slots', () => {
    const config = parseConfig(
      'version: 1\nslurm: {partition: gpu, time: "01:00:00", parallel: 3, mem: 8G, modules: [python/3.11], setup: [echo hi]}\n',
      'rigor.yaml',
    ).slurm
    const planned = planSubmission({partition: 'short', workers: 6}, context({config}))
    expect(planned).toMatchObject({
      partition: 'short',
      time: '01:00:00',
      parallel: 3,
      cpusPerTask: 3,
      mem: '8G',
      workers: 6,
      graceSeconds: 120,
    })
    expect(planned.modules).toEqual(['python/3.11'])
    expect(planned.setup).toEqual(['echo hi'])
    expect(planSubmission({}, context()).workers).toBe(1)
  })

  it('slots follow the CPUs asked for when no parallel is given, by the flag as by the field', () => {
    expect(planSubmission({cpusPerTask: 4}, context())).toMatchObject({parallel: 4, cpusPerTask: 4})
    const config = parseConfig('version: 1\nslurm: {cpus_per_task: 2}\n', 'rigor.yaml').slurm
    expect(planSubmission({}, context({config}))).toMatchObject({parallel: 2, cpusPerTask: 2})
    expect(planSubmission({cpusPerTask: 8}, context({config}))).toMatchObject({parallel: 8, cpusPerTask: 8})
    const both = parseConfig('version: 1\nslurm: {cpus_per_task: 2, parallel: 1}\n', 'rigor.yaml').slurm
    expect(planSubmission({cpusPerTask: 8}, context({config: both}))).toMatchObject({parallel: 1, cpusPerTask: 8})
    expect(planSubmission({cpusPerTask: 8, parallel: 3}, context({config}))).toMatchObject({parallel: 3, cpusPerTask: 8})
    // rigor work --parallel takes 256 at most: more CPUs than that are not more slots
    expect(planSubmission({cpusPerTask: 512}, context())).toMatchObject({parallel: 256, cpusPerTask: 512})
  })

  it('refuses bad values naming the flag or the field, with the fix', () => {
    const refused = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        expect(err).toBeInstanceOf(InputError)
        return (err as InputError).report
      }
      throw new Error('not refused')
    }
    expect(refused(() => planSubmission({partition: 'a b'}, context()))).toMatch(
      /field "--partition".*not a partition name[\s\S]*Fix: .*sinfo/,
    )
    expect(refused(() => planSubmission({time: '1:2:3:4'}, context()))).toMatch(/field "--time".*not a time limit/)
    expect(refused(() => planSubmission({mem: '16GB'}, context()))).toMatch(/field "--mem"/)
    expect(refused(() => planSubmission({scratch: 'relative/dir'}, context()))).toMatch(/field "--scratch".*absolute/)
    expect(refused(() => planSubmission({time: '00:01:00', grace: '2m'}, context()))).toMatch(/field "--grace".*no time to work/)
    // the default grace does not fit the time limit given: the time limit is named
    expect(refused(() => planSubmission({time: '00:01:00'}, context()))).toMatch(/field "--time".*a grace of 120 s leaves no time/)
    expect(refused(() => planSubmission({}, context({remoteUrl: 'https://alice:s3cret@git.example/r.git'})))).toMatch(/holds a password/)
    expect(refused(() => planSubmission({}, context({remoteUrl: 'https://alice:s3cret@git.example/r.git'})))).not.toContain('s3cret')
    expect(refused(() => planSubmission({}, context({remoteUrl: '/a\nb'})))).toMatch(/line break/)

    const config = (slurm: string) => refused(() => parseConfig(`version: 1\nslurm: ${slurm}\n`, 'rigor.yaml'))
    expect(config('{setup: ["echo a\\nrm -rf /"]}')).toMatch(/rigor\.yaml.*slurm\.setup.*line break/)
    expect(config('{modules: ["python; rm -rf /"]}')).toMatch(/not a module name/)
    expect(config('{sbatch: ["--array=0-99"]}')).toMatch(/set by rigor itself/)
    expect(config('{sbatch: ["--account=lab a"]}')).toMatch(/not one sbatch option/)
    expect(config('{time: "forever"}')).toMatch(/not a time limit/)
    expect(config('{rigor: []}')).toMatch(/slurm\.rigor/)
    expect(config('{partitions: x}')).toMatch(/partitions/)
  })

  it('takes a time limit in minutes and memory in megabytes written as bare YAML numbers, as sbatch does', () => {
    const slurm = parseConfig('version: 1\nslurm: {time: 90, mem: 4000}\n', 'rigor.yaml').slurm
    expect(slurm).toMatchObject({time: '90', mem: '4000'})
    const planned = planSubmission({}, context({config: slurm}))
    expect(planned).toMatchObject({time: '90', mem: '4000'})
    expect(renderJobScript(planned)).toContain('#SBATCH --time=90\n#SBATCH --cpus-per-task=1\n#SBATCH --mem=4000\n')
    // still checked as sbatch would read them
    for (const [slurm, message] of [
      ['{time: 0}', /slurm\.time.*"0" is no time at all/],
      ['{time: 1.5}', /slurm\.time.*"1\.5" is not a time limit/],
      ['{mem: -1}', /slurm\.mem.*not a memory size/],
      ['{mem: true}', /slurm\.mem.*true is not a memory size/],
    ] as const) {
      let report = ''
      try {
        parseConfig(`version: 1\nslurm: ${slurm}\n`, 'rigor.yaml')
      } catch (err) {
        report = (err as InputError).report
      }
      expect(report, slurm).toMatch(message)
    }
  })

  it('reads Slurm times, memory, partitions and stop times as Slurm and rigor work do', () => {
    const seconds = (t: string) => {
      const parsed = parseSlurmTime(t)
      return parsed.ok ? parsed.value : parsed.problem
    }
    expect(['30', '5:30', '02:00:00', '1-12', '1-00:30', '2-01:00:05'].map(seconds)).toEqual([1800, 330, 7200, 129600, 88200, 176405])
    expect(seconds('0')).toMatch(/no time at all/)
    expect(seconds('1:2:3:4')).toMatch(/not a time limit/)
    // a year at most: Slurm reads a limit it cannot hold as none
    expect(seconds('365-00:00:00')).toBe(365 * 86_400)
    for (const t of ['365-00:00:01', '525601', '99999999999999999999', '9999999:00:00'])
      expect(seconds(t), t).toMatch(/longer than the most rigor takes, 365 days/)
    expect(slurmMemoryProblem('4000')).toBeUndefined()
    expect(slurmMemoryProblem('16G')).toBeUndefined()
    expect(slurmMemoryProblem('16 G')).toMatch(/not a memory size/)
    expect(slurmPartitionProblem('short,long')).toBeUndefined()
    expect(slurmPartitionProblem('a;b')).toMatch(/not a partition/)
    expect(sbatchOptionProblem('--gres=gpu:1')).toBeUndefined()
    expect(sbatchOptionProblem('--signal=KILL@1')).toMatch(/set by rigor/)
    // sbatch takes an unambiguous prefix of a long option, and the last of two #SBATCH lines: neither gets past rigor's own
    expect(sbatchOptionProblem('--outp=/elsewhere/%j.out')).toMatch(/--outp is --output, which is set by rigor itself/)
    expect(sbatchOptionProblem('--sig=KILL@1')).toMatch(/--sig is --signal, which is set by rigor itself/)
    expect(sbatchOptionProblem('--time=00:00:30')).toMatch(/--time is set by rigor.*slurm\.time/)
    expect(sbatchOptionProblem('--part=gpu')).toMatch(/--part is --partition.*slurm\.partition/)
    expect(sbatchOptionProblem('--cpus-per-task=8')).toMatch(/slurm\.cpus_per_task/)
    expect(sbatchOptionProblem('--mem=4G')).toMatch(/slurm\.mem/)
    for (const fine of ['--time-min=10', '--mem-per-cpu=2G', '--export-file=/etc/env', '--exclusive', '--account=lab-a', '--qos=normal'])
      expect(sbatchOptionProblem(fine), fine).toBeUndefined()
    const at = parseStopTime('@1740848400')
    expect(at.ok && at.value.toISOString()).toBe('2025-03-01T17:00:00.000Z')
    const zoned = parseStopTime('2025-03-01T18:00:00+01:00')
    expect(zoned.ok && zoned.value.toISOString()).toBe('2025-03-01T17:00:00.000Z')
    // a time without its zone would be read in the machine's zone: refused
    expect(parseStopTime('2025-03-01T17:00:00').ok).toBe(false)
  })

  it('makes a relative remote path absolute, and leaves URLs and host:path alone', () => {
    expect(absoluteRemoteUrl('../shared/r.git', '/home/a/ws')).toBe('/home/a/shared/r.git')
    expect(absoluteRemoteUrl('/srv/r.git', '/home/a/ws')).toBe('/srv/r.git')
    expect(absoluteRemoteUrl('git@host:lab/r.git', '/home/a/ws')).toBe('git@host:lab/r.git')
    expect(absoluteRemoteUrl('ssh://host/r.git', '/home/a/ws')).toBe('ssh://host/r.git')
    expect(absoluteRemoteUrl('file:///srv/r.git', '/home/a/ws')).toBe('file:///srv/r.git')
  })
})

describe("reading Slurm's answers", () => {
  // lines as scontrol show job --oneliner prints them (SLURM_TIME_FORMAT=%s), cut to the fields read
  const pending =
    'JobId=6 ArrayJobId=6 ArrayTaskId=2-5 JobName=rigor JobState=PENDING Reason=Resources ExitCode=0:0 StartTime=Unknown EndTime=Unknown'
  const running =
    'JobId=8 ArrayJobId=6 ArrayTaskId=1 JobName=rigor JobState=RUNNING Reason=None ExitCode=0:0 StartTime=1796172832 EndTime=1796172892 NodeList=vm BatchHost=vm'
  const failed =
    'JobId=7 ArrayJobId=6 ArrayTaskId=0 JobState=FAILED Reason=NonZeroExitCode ExitCode=143:0 StartTime=1796172832 EndTime=1796172835 BatchHost=vm'
  const rest = 'JobId=6 ArrayJobId=6 ArrayTaskId=4294967294 JobState=CANCELLED Reason=None ExitCode=0:0'

  it('one task per array index, pending ranges expanded, the never-started rest of a cancelled array as *', () => {
    expect(parseTaskLine(pending).map((t) => [t.task, t.state, t.reason])).toEqual([
      ['2', 'PENDING', 'Resources'],
      ['3', 'PENDING', 'Resources'],
      ['4', 'PENDING', 'Resources'],
      ['5', 'PENDING', 'Resources'],
    ])
    expect(parseTaskLine(pending)[0]?.host).toBeUndefined()
    expect(parseTaskLine(running)).toEqual([
      {
        task: '1',
        state: 'RUNNING',
        host: 'vm',
        exit_code: '0:0',
        started_at: '2026-12-02T00:53:52.000Z',
        ended_at: undefined,
        reason: undefined,
      },
    ])
    expect(parseTaskLine(failed)[0]).toMatchObject({
      task: '0',
      exit_code: '143:0',
      ended_at: '2026-12-02T00:53:55.000Z',
      reason: 'NonZeroExitCode',
    })
    expect(parseTaskLine(rest)).toMatchObject([{task: REST, state: 'CANCELLED'}])
    expect(expandTaskIds('0,3-9:3%2')).toEqual(['0', '3', '6', '9'])
  })

  it("an array is the record's when named rigor, the recorded user's, and submitted when the record says (a requeued task later)", () => {
    const line = (submit: number, opts: {restarts?: number; user?: string; name?: string} = {}) =>
      `JobId=8 ArrayJobId=6 ArrayTaskId=1 JobName=${opts.name ?? 'rigor'} UserId=${opts.user ?? 'alice(1000)'} JobState=RUNNING Restarts=${opts.restarts ?? 0} SubmitTime=${submit}`
    const at = 1796172832
    const record = {submitted_at: new Date(at * 1000 + 2500).toISOString(), uid: 1000}
    expect(isRecordedJob([line(at)], record)).toBe(true)
    expect(isRecordedJob([line(at)], {submitted_at: record.submitted_at})).toBe(true)
    expect(isRecordedJob([line(at, {name: 'other'})], record)).toBe(false)
    expect(isRecordedJob([line(at, {user: 'bob(1001)'})], record)).toBe(false)
    // the id given again a day later, or the record's clock a few minutes off
    expect(isRecordedJob([line(at + 86_400)], record)).toBe(false)
    expect(isRecordedJob([line(at - 86_400)], record)).toBe(false)
    expect(isRecordedJob([line(at + 300)], record)).toBe(true)
    // a requeue sets SubmitTime anew: later is the array's when every line was requeued, or another line is on time
    expect(isRecordedJob([line(at + 86_400, {restarts: 1})], record)).toBe(true)
    expect(isRecordedJob([line(at), line(at + 86_400, {restarts: 2})], record)).toBe(true)
    expect(isRecordedJob([line(at + 86_400, {restarts: 1}), line(at + 86_400)], record)).toBe(false)
    expect(isRecordedJob([line(at - 86_400, {restarts: 1})], record)).toBe(false)
  })
})
