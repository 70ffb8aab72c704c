import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {validateWorkflow} from '@action-validator/core'
import {afterEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {runWorkflow, type JobRun} from '../helpers/workflow-emulator.js'
import {writeSpec} from './helpers.js'

const ROOT = resolve(__dirname, '../..')
const WORKFLOW = '.github/workflows/rigor.yml'
/** an install source that is never fetched: the tests that only read the workflow */
const PINNED = `git+https://github.com/example-lab/rigor.git#${'a1b2c3d4'.repeat(5)}`

let repo: TempRepo | undefined
let scratch: string | undefined
// the emulated runners hold a production install of rigor each (thousands of files): removing them takes a while on a loaded machine
afterEach(() => {
  repo?.cleanup()
  repo = undefined
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  scratch = undefined
}, 180_000)

type Step = {name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string}
const steps = (workflow: any, job: string): Step[] => workflow.jobs[job].steps
const runText = (workflow: any, job: string) =>
  steps(workflow, job)
    .map((s) => s.run ?? '')
    .join('\n')

describe('rigor init --github', () => {
  it('writes a workflow that passes the validator: pinned actions, per-job permissions, workers on the remote, a local review job on the state tip', () => {
    repo = gitRepo()
    const init = rigor(repo.dir, ['init', '--github', '--install', PINNED, '--reviewers', '@alice,@example-lab/auditors', '--json'])
    expect(init.code, init.stdout + init.stderr).toBe(0)
    const result = json(init)
    expect(result.files).toEqual(expect.arrayContaining([WORKFLOW, '.github/CODEOWNERS', 'rigor.yaml']))
    expect(result.github).toMatchObject({
      state_branch: 'main',
      install: PINNED,
      install_source: 'flag',
      codeowners: ['@alice', '@example-lab/auditors'],
    })
    const text = readFileSync(join(repo.dir, WORKFLOW), 'utf8')
    expect(validateWorkflow(text).errors).toEqual([])
    const workflow = parse(text)
    expect(workflow.on.schedule[0].cron).toBeTruthy()
    expect(workflow.on).toHaveProperty('workflow_dispatch')

    // rigor comes from the source rigor.yaml records, the workflow holds a copy
    expect(parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')).github).toEqual({install: PINNED})
    expect(workflow.env).toEqual({RIGOR_STATE_BRANCH: 'main', RIGOR_INSTALL: PINNED})
    expect(text).not.toMatch(/rigor-research@|__[A-Z_]+__/)

    // least privilege: nothing at the top, each job its own
    expect(workflow.permissions).toEqual({})
    expect(workflow.jobs.work.permissions).toEqual({contents: 'write'})
    expect(workflow.jobs.review.permissions).toEqual({contents: 'write', 'pull-requests': 'write'})
    // every action pinned to a full commit, its version in a comment; a current Node LTS with npm's cache
    const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)]
    expect(uses.length).toBe(4)
    for (const [, action, comment] of uses) {
      expect(action).toMatch(/^actions\/(checkout|setup-node)@[0-9a-f]{40}$/)
      expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/)
    }
    for (const job of ['work', 'review']) {
      const node = steps(workflow, job).find((s) => s.uses?.startsWith('actions/setup-node@'))!
      expect(node.with).toMatchObject({'node-version': 24, cache: 'npm', 'cache-dependency-path': WORKFLOW})
      // both jobs check out the state branch's tip, not the commit that triggered the run
      expect(steps(workflow, job)[0]!.with).toMatchObject({ref: '${{ env.RIGOR_STATE_BRANCH }}', 'fetch-depth': 0})
    }

    expect(workflow.jobs.work.strategy.matrix.worker.length).toBeGreaterThan(1)
    expect(runText(workflow, 'work')).toContain('rigor work --remote origin')
    expect(workflow.jobs.review.needs).toBe('work')
    const review = runText(workflow, 'review')
    for (const command of ['rigor rank', 'rigor audit', 'rigor report', 'gh pr create', 'rigor health']) expect(review).toContain(command)
    // health runs last, also after a failed step (refused audits), and fails the run when a threshold is crossed
    const health = steps(workflow, 'review').findIndex((s) => s.run === 'rigor health')
    expect(health).toBe(steps(workflow, 'review').length - 2)
    expect(steps(workflow, 'review')[health]!.if).toBe('${{ !cancelled() }}')
    // the review job is local: no --remote, no RIGOR_REMOTE anywhere
    expect(review).not.toContain('--remote')
    expect(text).not.toContain('RIGOR_REMOTE')
    // nothing hidden, and no expression inside a script (inputs and names reach bash as variables only)
    expect(text).not.toContain('|| true')
    for (const job of ['work', 'review']) for (const step of steps(workflow, job)) expect(step.run ?? '').not.toContain('${{')
    // the key's secret reaches only the step that signs
    expect(
      steps(workflow, 'review')
        .filter((s) => JSON.stringify(s).includes('secrets.'))
        .map((s) => s.name),
    ).toEqual(['Rank, audit the top candidates, report'])

    expect(readFileSync(join(repo.dir, '.github/CODEOWNERS'), 'utf8')).toContain(
      '/audits/ @alice @example-lab/auditors\n/deployments/ @alice @example-lab/auditors\n/rigor.yaml @alice @example-lab/auditors\n',
    )
    expect(repo.git('status', '--porcelain')).toBe('')
  })

  it('adds the workflow to an existing workspace once, records the install source in rigor.yaml, keeps its comments', () => {
    repo = gitRepo()
    rigor(repo.dir, ['init'])
    const before = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    const add = rigor(repo.dir, ['init', '--github', '--install', PINNED])
    expect(add.code, add.stderr).toBe(0)
    expect(add.stdout).toContain('no CODEOWNERS written')
    expect(repo.git('show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([WORKFLOW, 'rigor.yaml'])
    const after = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    expect(after.startsWith(before)).toBe(true)
    expect(parse(after).github.install).toBe(PINNED)
    expect(rigor(repo.dir, ['init', '--github']).code).toBe(2)
    // the recorded source is used when the workflow is written again
    repo.git('rm', '-q', WORKFLOW)
    repo.git('commit', '-qm', 'drop the workflow')
    const again = json(rigor(repo.dir, ['init', '--github', '--json']))
    expect(again.github).toMatchObject({install: PINNED, install_source: 'rigor.yaml'})
  })

  it('with branch: in rigor.yaml, the workflow works on that branch and init commits there', () => {
    repo = gitRepo()
    expect(rigor(repo.dir, ['init']).code).toBe(0)
    writeFileSync(join(repo.dir, 'rigor.yaml'), `branch: research/state\n${readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')}`)
    repo.git('commit', '-qam', 'the state lives on research/state')
    repo.git('branch', 'research/state')
    const init = rigor(repo.dir, ['init', '--github', '--install', PINNED, '--json'])
    expect(init.code, init.stdout).toBe(0)
    expect(json(init).github.state_branch).toBe('research/state')
    const text = repo.git('show', `research/state:${WORKFLOW}`)
    expect(parse(text).env.RIGOR_STATE_BRANCH).toBe('research/state')
    expect(repo.git('ls-tree', '--name-only', 'main', '.github')).toBe('')
    expect(rigor(repo.dir, ['init', '--github', '--install', PINNED]).stderr).toContain(`${WORKFLOW} already exists`)
  })

  it('refuses sources CI cannot install safely, and bad reviewers, with exit 2 and how to choose', () => {
    repo = gitRepo()
    const refused = (args: string[], pattern: RegExp) => {
      const r = rigor(repo!.dir, ['init', '--github', ...args])
      expect(r.code, r.stdout + r.stderr).toBe(2)
      expect(r.stderr).toMatch(pattern)
    }
    refused(['--install', 'rigor-research@0.1.0'], /registry names[\s\S]*Fix: pass --install/)
    refused(['--install', 'git+https://github.com/example-lab/rigor.git#main'], /not pinned to a full commit/)
    refused(['--install', 'https://token:x@example.com/rigor.tgz'], /credentials/)
    refused(['--install', './vendor/rigor.tgz'], /vendor\/rigor.tgz is not committed on branch main/)
    refused(['--install', PINNED, '--reviewers', 'alice'], /must start with @/)
    refused(['--install', 'package.json'], /package.json lists no rigor-research/)
    expect(rigor(repo.dir, ['init', '--install', PINNED]).code).toBe(2)
    // GitHub reads the first CODEOWNERS it finds: rigor neither rewrites one nor shadows it
    writeFileSync(join(repo.dir, 'CODEOWNERS'), '* @example-lab/maintainers\n')
    repo.git('add', 'CODEOWNERS')
    repo.git('commit', '-qm', 'owners')
    refused(['--install', PINNED, '--reviewers', '@alice'], /CODEOWNERS exists already[\s\S]*\/audits\/ @alice/)
    // a devDependency on a registry version is the same hole as a registry name
    writeFileSync(join(repo.dir, 'package.json'), JSON.stringify({devDependencies: {'rigor-research': '^0.1.0'}}))
    repo.git('add', 'package.json')
    repo.git('commit', '-qm', 'package.json')
    refused([], /devDependencies\["rigor-research"\] is "\^0.1.0"/)
    expect(existsSync(join(repo.dir, 'rigor.yaml'))).toBe(false)
  })

  it('uses the workspace devDependency when package.json pins rigor to a committed tarball: npm ci, cached by package-lock.json', () => {
    repo = gitRepo()
    mkdirSync(join(repo.dir, 'vendor'))
    writeFileSync(join(repo.dir, 'vendor/rigor-research-0.1.0.tgz'), 'not really a tarball: never installed here')
    writeFileSync(
      join(repo.dir, 'package.json'),
      JSON.stringify({private: true, devDependencies: {'rigor-research': 'file:vendor/rigor-research-0.1.0.tgz'}}),
    )
    repo.git('add', '.')
    repo.git('commit', '-qm', 'rigor as a devDependency')
    const noLock = rigor(repo.dir, ['init', '--github'])
    expect(noLock.code).toBe(2)
    expect(noLock.stderr).toContain('package-lock.json is not committed')
    writeFileSync(join(repo.dir, 'package-lock.json'), '{}')
    repo.git('add', 'package-lock.json')
    repo.git('commit', '-qm', 'lock')
    const init = rigor(repo.dir, ['init', '--github', '--json'])
    expect(init.code, init.stdout).toBe(0)
    expect(json(init).github).toMatchObject({install: 'package.json', install_source: 'package.json'})
    const workflow = parse(readFileSync(join(repo.dir, WORKFLOW), 'utf8'))
    expect(workflow.env.RIGOR_INSTALL).toBe('package.json')
    expect(steps(workflow, 'work')[1]!.with!['cache-dependency-path']).toBe('package-lock.json')
    expect(runText(workflow, 'work')).toContain('npm ci')
  })

  it.skipIf(spawnSync('shellcheck', ['--version']).status !== 0)('every run: step passes shellcheck', () => {
    repo = gitRepo()
    expect(rigor(repo.dir, ['init', '--github', '--install', PINNED]).code).toBe(0)
    const workflow = parse(readFileSync(join(repo.dir, WORKFLOW), 'utf8'))
    for (const job of Object.keys(workflow.jobs)) {
      for (const step of steps(workflow, job)) {
        if (step.run === undefined) continue
        // the variables GitHub and the step's env: provide are set before the script runs
        const check = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '-'], {input: step.run, encoding: 'utf8'})
        expect(check.status, `${job} / ${step.name}:\n${check.stdout}`).toBe(0)
      }
    }
  })
})

describe('the generated workflow, run', () => {
  it("a runner is not told where the auditor's signing key is", () => {
    repo = gitRepo()
    expect(rigor(repo.dir, ['init']).code).toBe(0)
    const tell = [
      process.execPath,
      '-e',
      "require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({notes: 'key: ' + (process.env.RIGOR_SIGNING_KEY ?? 'none'), metrics: {sharpe: 1}}))",
    ]
    writeSpec(repo.dir, {nodes: [{id: 'peek/key', team: 'default', run: {command: tell}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work'], {RIGOR_SIGNING_KEY: '/runner/temp/rigor-signing-key'}).code).toBe(0)
    expect(json(rigor(repo.dir, ['show', 'peek/key', '--json'])).verdict.notes).toBe('key: none')
  })

  it('workers finish every node on the remote; the review job signs its audits, pushes rigor/review-<run id> and opens the PR; a refused audit fails the job', {
    timeout: 300_000,
  }, async () => {
    const started = Date.now()
    scratch = mkdtempSync(join(tmpdir(), 'rigor-gha-'))
    const keys = join(scratch, 'keys')
    mkdirSync(keys)
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@lab', '-f', join(keys, 'alice')])
    const alicePub = readFileSync(join(keys, 'alice.pub'), 'utf8').trim()
    // rigor as the workflow installs it: this checkout, packed into a tarball committed in the workspace
    const packed = packRigor(scratch)

    repo = gitRepo()
    const dir = repo.dir
    expect(rigor(dir, ['init']).code).toBe(0)
    const config = {
      version: 1,
      teams: [{name: 'default'}],
      gates: [{name: 'accept', accept_when: 'true'}],
      auditors: [{name: 'alice', key: alicePub}],
      // the fewest re-runs an audit can make: this test is about the pipeline, not the statistics
      audit: {truncation_cuts: [0.75], permutations: 2, seeds: [1], parallel: 2},
    }
    writeFileSync(join(dir, 'rigor.yaml'), stringify(config))
    expect(rigor(dir, ['data', 'generate', '--out', 'data/prices.csv', '--years', '2', '--seed', '7']).code).toBe(0)
    mkdirSync(join(dir, 'vendor'))
    copyFileSync(join(scratch, packed), join(dir, 'vendor', packed))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'auditors, data, and rigor for CI')
    const node = (id: string, strategy: string, params: Record<string, number>) => ({
      id,
      team: 'default',
      run: {command: ['rigor', 'backtest', '--strategy', strategy, '--folds', '2']},
      params,
      data: 'data/prices.csv',
    })
    writeSpec(
      dir,
      {
        nodes: [
          node('mom/lb-10', 'momentum', {lookback: 10}),
          node('mom/lb-40', 'momentum', {lookback: 40}),
          node('brk/w-20', 'breakout', {window: 20}),
        ],
      },
      'a.yaml',
    )
    expect(rigor(dir, ['seed', 'a.yaml', '--by', 'carol']).code).toBe(0)
    // alice seeds one herself: she may not audit it, and the run must say so instead of hiding it
    writeSpec(dir, {nodes: [node('mom/lb-20', 'momentum', {lookback: 20})]}, 'b.yaml')
    expect(rigor(dir, ['seed', 'b.yaml', '--by', 'alice']).code).toBe(0)
    const init = rigor(dir, ['init', '--github', '--install', `./vendor/${packed}`, '--reviewers', '@alice-lab'])
    expect(init.code, init.stderr).toBe(0)
    const bare = join(scratch, 'lab-research.git')
    execFileSync('git', ['clone', '-q', '--bare', dir, bare], {env: {...process.env, ...GIT_ENV}})

    const {bin, ghLog, env} = runnerSetup(scratch)
    let stateAfterWorkers = ''
    const timings: string[] = [`setup ${Date.now() - started} ms`]
    let jobStart = Date.now()
    const results = await runWorkflow(readFileSync(join(dir, WORKFLOW), 'utf8'), {
      remote: bare,
      root: join(scratch, 'runner'),
      contexts: {
        github: {run_id: '4242', run_attempt: '1', repository: 'example-lab/research', token: 'ghs_test_token'},
        secrets: {RIGOR_SIGNING_KEY: readFileSync(join(keys, 'alice'), 'utf8').trim(), GITHUB_TOKEN: 'ghs_test_token'},
        vars: {RIGOR_AUDITOR: 'alice'},
        // a scheduled run: no inputs
        inputs: {parallel: ''},
      },
      path: [bin],
      env,
      // two workers are enough to share the remote
      matrixLimit: 2,
      afterJob: (job) => {
        timings.push(`${job} ${Date.now() - jobStart} ms`)
        jobStart = Date.now()
        if (job === 'work') stateAfterWorkers = git(bare, 'rev-parse', 'refs/heads/main')
      },
    })
    const show = (runs: JobRun[]) =>
      runs
        .map((r) =>
          r.steps
            .map((s) => `--- ${r.job} ${JSON.stringify(r.matrix)}: ${s.name} (exit ${s.code}${s.skipped ? ', skipped' : ''})\n${s.output}`)
            .join('\n'),
        )
        .join('\n')

    const workers = results.get('work')!
    expect(workers).toHaveLength(2)
    for (const w of workers) expect(w.ok, show([w])).toBe(true)
    // every node finished, on the remote's state branch
    const state = join(scratch, 'state')
    git(scratch, 'clone', '-q', bare, state)
    const status = json(rigor(state, ['status', '--json']))
    expect(status.total).toBe(4)
    // on failure, what the runners said: their run.log files on the state branch
    const reasons = () =>
      spawnSync('git', ['grep', '-h', '-A3', '', 'HEAD', '--', 'experiments/**/run.log'], {cwd: state, encoding: 'utf8'}).stdout
    expect(status.by_status.proven_accepted, `${JSON.stringify(status)}\n${reasons()}`).toBe(4)

    const [review] = results.get('review')!
    const byName = Object.fromEntries(review!.steps.map((s) => [s.name, s]))
    for (const name of ['Install rigor', 'Rank, audit the top candidates, report', 'Push the review branch and open a pull request'])
      expect(byName[name]!.code, show([review!])).toBe(0)
    // the refused audit is not hidden: the job fails at the end naming it, after the PR is open
    expect(byName['Fail on refused audits']!.code).toBe(1)
    expect(byName['Fail on refused audits']!.output).toContain('refused audits: mom/lb-20')
    expect(byName['Rank, audit the top candidates, report']!.output).toContain('alice seeded this node')
    expect(byName['Remove the signing key']!.skipped).toBe(false)
    // no health: thresholds in this rigor.yaml: the checks are printed and pass
    expect(byName['Check health']!.code, byName['Check health']!.output).toBe(0)
    expect(byName['Check health']!.output).toMatch(/audit_backlog\s/)
    expect(readdirSync(review!.runnerTemp)).not.toContain('rigor-signing-key')
    expect(review!.ok).toBe(false)

    // the review left the state branch alone: its work reached the remote as the review branch only
    expect(git(bare, 'rev-parse', 'refs/heads/main')).toBe(stateAfterWorkers)
    const reviewed = join(scratch, 'reviewed')
    git(scratch, 'clone', '-q', '--branch', 'rigor/review-4242', bare, reviewed)
    expect(git(reviewed, 'merge-base', '--is-ancestor', stateAfterWorkers, 'HEAD')).toBe('')
    const audited = ['brk/w-20', 'mom/lb-10', 'mom/lb-40']
    const signatures = rigor(reviewed, ['verify', '--signatures', '--json'])
    const report = json(signatures)
    expect(signatures.code, signatures.stdout).toBe(0)
    const audits = report.files.filter((f: {file: string}) => f.file.startsWith('audits/') && f.file.endsWith('.md'))
    expect(audits.map((f: {file: string}) => f.file.split('/').slice(1, 3).join('/')).sort()).toEqual(audited)
    for (const audit of audits) expect(audit, JSON.stringify(audit)).toMatchObject({status: 'good', signer: 'alice'})
    // and git itself agrees, with nothing but the auditor's public key
    const signers = join(scratch, 'allowed_signers')
    writeFileSync(signers, `alice namespaces="git" ${alicePub}\n`)
    const auditCommits = git(reviewed, 'log', '--format=%H', `${stateAfterWorkers}..HEAD`, '--', 'audits').split('\n')
    expect(auditCommits).toHaveLength(3)
    for (const commit of auditCommits)
      execFileSync('git', ['-c', `gpg.ssh.allowedSignersFile=${signers}`, 'verify-commit', commit], {cwd: reviewed, stdio: 'pipe'})
    // merged with a merge commit (as GitHub's "Create a merge commit" does), the audits keep their signer
    git(state, 'fetch', '-q', 'origin', 'rigor/review-4242')
    git(state, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #1', 'FETCH_HEAD')
    const merged = json(rigor(state, ['verify', '--signatures', '--json']))
    expect(merged.files.filter((f: {file: string; status: string}) => f.file.endsWith('.md') && f.status === 'good')).toHaveLength(3)
    expect(existsSync(join(reviewed, 'reports/rankings'))).toBe(true)
    expect(readdirSync(join(reviewed, 'reports')).some((f) => /^\d{4}-\d{2}-\d{2}\.md$/.test(f))).toBe(true)

    // the pull request: from the review branch into the state branch, with the token and the audits named
    const calls = readFileSync(ghLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const prs = calls.filter((c) => c.args[0] === 'pr')
    expect(prs).toHaveLength(1)
    const args = prs[0].args as string[]
    expect(args.slice(0, 2)).toEqual(['pr', 'create'])
    expect(args[args.indexOf('--base') + 1]).toBe('main')
    expect(args[args.indexOf('--head') + 1]).toBe('rigor/review-4242')
    expect(prs[0]).toMatchObject({gh_token: 'ghs_test_token', gh_repo: 'example-lab/research'})
    for (const id of audited) expect(prs[0].body).toContain(`audits/${id}/`)
    expect(prs[0].body).toContain('Refused audits (this run fails on them):\n- `mom/lb-20`')
    if (process.env.RIGOR_TEST_SHOW_WORKFLOW) console.log(show([...workers, review!]))
    timings.push(`total ${Date.now() - started} ms`)
    console.log(`workflow emulation: ${timings.join(', ')}`)
  })
})

describe('the generated workflow, run with rigor as a devDependency', () => {
  it('a worker installs rigor with npm ci from the lockfile and runs it from node_modules/.bin', {timeout: 240_000}, async () => {
    scratch = mkdtempSync(join(tmpdir(), 'rigor-gha-dev-'))
    const packed = packRigor(scratch)
    repo = gitRepo()
    const dir = repo.dir
    expect(rigor(dir, ['init']).code).toBe(0)
    mkdirSync(join(dir, 'vendor'))
    copyFileSync(join(scratch, packed), join(dir, 'vendor', packed))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({private: true}))
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n')
    // package.json and package-lock.json as `npm install --save-dev` writes them, without installing here
    execFileSync(
      'npm',
      ['install', '--save-dev', '--package-lock-only', '--prefer-offline', '--no-audit', '--no-fund', `./vendor/${packed}`],
      {cwd: dir, stdio: 'pipe'},
    )
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).devDependencies['rigor-research']).toBe(`file:vendor/${packed}`)
    writeSpec(dir, {
      nodes: [
        {
          id: 'dev/one',
          team: 'default',
          run: {
            command: [
              process.execPath,
              '-e',
              "require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', '{\"metrics\": {\"sharpe\": 1}}')",
            ],
          },
        },
      ],
    })
    expect(rigor(dir, ['seed', 'spec.yaml']).code).toBe(0)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'rigor as a devDependency')
    const init = rigor(dir, ['init', '--github', '--json'])
    expect(init.code, init.stdout).toBe(0)
    expect(json(init).github.install).toBe('package.json')
    const bare = join(scratch, 'remote.git')
    execFileSync('git', ['clone', '-q', '--bare', dir, bare], {env: {...process.env, ...GIT_ENV}})
    const {bin, env} = runnerSetup(scratch)
    const results = await runWorkflow(readFileSync(join(dir, WORKFLOW), 'utf8'), {
      remote: bare,
      root: join(scratch, 'runner'),
      contexts: {
        github: {run_id: '7', run_attempt: '1', repository: 'example-lab/research', token: 't'},
        secrets: {},
        vars: {},
        inputs: {parallel: '1'},
      },
      path: [bin],
      env,
      matrixLimit: 1,
      only: ['work'],
    })
    const [worker] = results.get('work')!
    expect(worker!.ok, worker!.steps.map((s) => `--- ${s.name} (exit ${s.code})\n${s.output}`).join('\n')).toBe(true)
    expect(existsSync(join(worker!.workspace, 'node_modules/.bin/rigor'))).toBe(true)
    const state = join(scratch, 'state')
    git(scratch, 'clone', '-q', bare, state)
    expect(json(rigor(state, ['show', 'dev/one', '--json'])).status).toBe('proven_accepted')
  })
})

/** `npm pack` of this checkout (built by `npm run build` before the tests) into `dir`: the tarball's file name. */
function packRigor(dir: string): string {
  return execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {cwd: ROOT, encoding: 'utf8'})
    .trim()
    .split('\n')
    .at(-1)!
}

/** A gh that records what it is asked (the pull request it would open), and the environment a runner's steps get. */
function runnerSetup(scratch: string): {bin: string; ghLog: string; env: Record<string, string>} {
  const bin = join(scratch, 'bin')
  mkdirSync(bin)
  const ghLog = join(scratch, 'gh.jsonl')
  writeFileSync(
    join(bin, 'gh'),
    `#!${process.execPath}
const fs = require('fs')
const args = process.argv.slice(2)
const record = {args, gh_token: process.env.GH_TOKEN, gh_repo: process.env.GH_REPO}
if (args[0] === 'pr' && args[1] === 'create') record.body = fs.readFileSync(args[args.indexOf('--body-file') + 1], 'utf8')
fs.appendFileSync(process.env.FAKE_GH_LOG, JSON.stringify(record) + '\\n')
if (args[0] === 'pr') console.log('https://github.com/' + process.env.GH_REPO + '/pull/1')
`,
  )
  chmodSync(join(bin, 'gh'), 0o755)
  // a runner has no git identity or config of its own: the workflow sets what it needs
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    FAKE_GH_LOG: ghLog,
    npm_config_update_notifier: 'false',
  }
  // the machine's registry, proxy and certificate settings, as a hosted runner has its own
  for (const name of [
    'HOME',
    'TMPDIR',
    'LANG',
    'npm_config_cache',
    'npm_config_registry',
    'npm_config_cafile',
    'NODE_EXTRA_CA_CERTS',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
    'http_proxy',
    'https_proxy',
    'no_proxy',
  ]) {
    if (process.env[name]) env[name] = process.env[name]!
  }
  return {bin, ghLog, env}
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
}
