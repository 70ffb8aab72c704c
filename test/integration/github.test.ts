import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {validateWorkflow} from '@action-validator/core'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {runWorkflow} from '../helpers/workflow-emulator.js'
import {git, packRigor, runnerSetup, WORKFLOW} from './github-helpers.js'
import {writeSpec} from './helpers.js'

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
    // the worker stops by itself (claims put back, exit 0) at least 10 minutes before the job's timeout would kill it
    const worker = steps(workflow, 'work').find((s) => s.run?.includes('rigor work --remote'))!
    const minutes = Number(/--stop-at "@\$\(\(\$\(date \+%s\) \+ (\d+) \* 60\)\)"/.exec(worker.run!)?.[1])
    expect(minutes).toBeGreaterThan(0)
    expect(minutes).toBeLessThanOrEqual(workflow.jobs.work['timeout-minutes'] - 10)
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
    // what it says to do works: a second init --github (to add --reviewers) is refused, so it gives the lines instead
    expect(add.stdout).not.toContain('rerun with --reviewers')
    expect(add.stdout).toContain('write .github/CODEOWNERS')
    expect(add.stdout).toContain('/audits/ @alice @org/auditors')
    expect(rigor(repo.dir, ['init', '--github', '--reviewers', '@alice']).code).toBe(2)
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

  it('a refused init --github leaves nothing behind: no repository it made, no folder it made, your files kept', () => {
    const parent = mkdtempSync(join(tmpdir(), 'rigor-init-'))
    try {
      const fresh = join(parent, 'new', 'ws')
      const refused = rigor(parent, ['init', fresh, '--github', '--install', './nope.tgz'])
      expect(refused.code, refused.stderr).toBe(2)
      expect(refused.stderr).toContain('--install')
      expect(existsSync(join(parent, 'new'))).toBe(false)
      const mine = join(parent, 'mine')
      mkdirSync(mine)
      writeFileSync(join(mine, 'notes.txt'), 'keep\n')
      expect(rigor(parent, ['init', mine, '--github', '--install', './nope.tgz']).code).toBe(2)
      expect(existsSync(join(mine, '.git'))).toBe(false)
      expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('keep\n')
    } finally {
      rmSync(parent, {recursive: true, force: true})
    }
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

  it('a state branch holding ${{ (git allows it) is refused, not written into env: where GitHub would evaluate it; a quote is kept', () => {
    repo = gitRepo()
    repo.git('checkout', '-qb', 'lab-${{secrets.RIGOR_SIGNING_KEY}}')
    for (const args of [
      ['init', '--github', '--install', PINNED, '--json'],
      ['init'],
      ['init', '--github', '--install', PINNED, '--json'],
    ]) {
      const before = repo.git('log', '--all', '--oneline')
      const result = rigor(repo.dir, args)
      if (args.length === 1) {
        expect(result.code, result.stderr).toBe(0)
        continue
      }
      expect(result.code, result.stdout).toBe(2)
      expect(json(result).error.message).toContain('field "branch": the state branch "lab-${{secrets.RIGOR_SIGNING_KEY}}" holds ${{')
      expect(repo.git('log', '--all', '--oneline')).toBe(before)
      expect(existsSync(join(repo.dir, WORKFLOW))).toBe(false)
    }
    repo.git('branch', '-m', 'lab"q')
    expect(rigor(repo.dir, ['init', '--github', '--install', PINNED]).code).toBe(0)
    expect(parse(readFileSync(join(repo.dir, WORKFLOW), 'utf8')).env.RIGOR_STATE_BRANCH).toBe('lab"q')
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
