import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {runWorkflow, type JobRun} from '../helpers/workflow-emulator.js'
import {git, packRigor, runnerSetup, WORKFLOW} from './github-helpers.js'
import {writeSpec} from './helpers.js'

// apart from github.test.ts (rigor init --github and the devDependency install): this workflow run alone takes half a
// minute, and the two files run side by side

let repo: TempRepo | undefined
let scratch: string | undefined
// the emulated runners hold a production install of rigor each (thousands of files): removing them takes a while on a loaded machine
afterEach(() => {
  repo?.cleanup()
  repo = undefined
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  scratch = undefined
}, 180_000)

describe('the generated workflow, run', () => {
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
