import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {parseConfig} from '../../src/core/state/config.js'
import {InputError} from '../../src/core/errors.js'
import {
  chooseInstall,
  describeRunningRigor,
  httpsCloneUrl,
  parseReviewers,
  recordInstall,
  renderWorkflow,
  type RunningRigor,
} from '../../src/core/flows/github.js'
import {githubHandleProblem, installSpecProblem} from '../../src/core/validation.js'
import {GIT_ENV} from '../helpers/git-repo.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const clean: RunningRigor = {kind: 'checkout', root: '/opt/rigor', commit: SHA, dirty: false, remoteUrl: 'git@github.com:lab/rigor.git'}
const base = {packageName: 'rigor-research', running: {kind: 'other', root: '/usr/lib/node_modules/rigor-research'} as RunningRigor}

function refusal(fn: () => unknown): InputError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    expect((err as InputError).exitCode).toBe(2)
    return err as InputError
  }
  throw new Error('not refused')
}

describe('install specs', () => {
  it('accept content-pinned sources only', () => {
    for (const ok of [
      `git+https://github.com/lab/rigor.git#${SHA}`,
      'https://github.com/lab/rigor/releases/download/v0.1.0/rigor-research-0.1.0.tgz',
      './vendor/rigor-research-0.1.0.tgz',
      'package.json',
    ]) {
      expect(installSpecProblem(ok), ok).toBeUndefined()
    }
    const refused: Array<[string, RegExp]> = [
      ['rigor-research@0.1.0', /registry names/],
      ['rigor-research', /registry names/],
      ['github:lab/rigor', /neither a pinned git URL/],
      [`git+ssh://git@github.com/lab/rigor.git#${SHA}`, /neither a pinned git URL/],
      ['git+https://github.com/lab/rigor.git#main', /full commit/],
      ['git+https://github.com/lab/rigor.git', /full commit/],
      [`git+https://user:ghp_x@github.com/lab/rigor.git#${SHA}`, /credentials/],
      ['https://example.com/rigor.zip', /tarball/],
      ['https://example.com/rigor.tgz?token=1', /may hold only/],
      ['https://example.com/rigor.tgz#sha', /#fragment/],
      ['./vendor/../../rigor.tgz', /"\.\."/],
      ['/abs/rigor.tgz', /neither/],
      ['./rigor.tgz"; rm -rf ~', /may hold only/],
      ['$(id).tgz', /may hold only/],
    ]
    for (const [spec, why] of refused) expect(installSpecProblem(spec), spec).toMatch(why)
    expect(() => parseConfig('version: 1\ngithub: {install: rigor-research@0.1.0}\n', 'rigor.yaml')).toThrow(/github\.install/)
    expect(parseConfig('version: 1\ngithub: {install: package.json}\n', 'rigor.yaml').github).toEqual({install: 'package.json'})
  })

  it('reviewers are GitHub users or teams', () => {
    expect(parseReviewers('@alice, @lab/auditors @alice')).toEqual(['@alice', '@lab/auditors'])
    for (const bad of ['alice', '@-alice', '@a/b/c', '@alice;rm', '@' + 'a'.repeat(40)]) expect(githubHandleProblem(bad), bad).toBeDefined()
    expect(refusal(() => parseReviewers(' , ')).message).toContain('no reviewer')
  })

  it('ssh clone URLs become https, without credentials', () => {
    expect(httpsCloneUrl('git@github.com:lab/rigor.git')).toBe('https://github.com/lab/rigor.git')
    expect(httpsCloneUrl('ssh://git@github.example.com:2222/lab/rigor.git')).toBe('https://github.example.com/lab/rigor.git')
    expect(httpsCloneUrl('https://x-access-token:secret@github.com/lab/rigor.git')).toBe('https://github.com/lab/rigor.git')
    expect(httpsCloneUrl('/srv/git/rigor.git')).toBeUndefined()
    expect(httpsCloneUrl('file:///srv/git/rigor.git')).toBeUndefined()
  })
})

describe('where CI installs rigor from', () => {
  it('--install, then rigor.yaml, then the devDependency, then the running checkout', () => {
    const dev = {devDependencies: {'rigor-research': 'file:vendor/rigor-research-0.1.0.tgz'}}
    expect(chooseInstall({...base, flag: './r.tgz', recorded: 'package.json', packageJson: dev, running: clean})).toEqual({
      spec: './r.tgz',
      source: 'flag',
    })
    expect(chooseInstall({...base, recorded: './r.tgz', packageJson: dev, running: clean})).toEqual({spec: './r.tgz', source: 'rigor.yaml'})
    expect(chooseInstall({...base, packageJson: dev, running: clean})).toEqual({spec: 'package.json', source: 'package.json'})
    expect(chooseInstall({...base, running: clean})).toEqual({spec: `git+https://github.com/lab/rigor.git#${SHA}`, source: 'running rigor'})
  })

  it('refuses with how to choose when nothing is known, the checkout is dirty or unpushed, or the devDependency is a registry version', () => {
    const how = /--install/
    for (const running of [
      base.running,
      {...clean, dirty: true},
      {...clean, remoteUrl: undefined},
      {...clean, remoteUrl: '/srv/git/rigor.git'},
    ] as RunningRigor[]) {
      const err = refusal(() => chooseInstall({...base, running}))
      expect(err.fix).toMatch(how)
      expect(err.message).toMatch(/cannot tell where CI should install rigor from: .+/)
    }
    expect(refusal(() => chooseInstall({...base, running: {...clean, dirty: true}})).message).toContain('uncommitted changes')
    expect(refusal(() => chooseInstall({...base, running: {...clean, remoteUrl: undefined}})).message).toContain('on no remote branch')
    expect(
      refusal(() => chooseInstall({...base, packageJson: {devDependencies: {'rigor-research': '^0.1.0'}}, running: clean})).message,
    ).toContain('"^0.1.0"')
    expect(refusal(() => chooseInstall({...base, flag: 'package.json', packageJson: {}})).message).toContain('lists no rigor-research')
    expect(refusal(() => chooseInstall({...base, flag: 'rigor-research@latest'})).field).toBe('--install')
  })

  it('describes a rigor checkout: its commit, and a remote that has it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-running-'))
    try {
      const git = (cwd: string, ...args: string[]) =>
        execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
      const checkout = join(dir, 'rigor')
      git(dir, 'init', '-q', '-b', 'main', checkout)
      writeFileSync(join(checkout, 'package.json'), '{}')
      git(checkout, 'add', '.')
      git(checkout, 'commit', '-qm', 'rigor')
      expect(await describeRunningRigor(checkout)).toMatchObject({
        kind: 'checkout',
        commit: git(checkout, 'rev-parse', 'HEAD'),
        dirty: false,
        remoteUrl: undefined,
      })
      // pushed: a remote-tracking branch holds the commit
      git(dir, 'clone', '-q', '--bare', checkout, join(dir, 'remote.git'))
      git(checkout, 'remote', 'add', 'origin', 'git@github.com:lab/rigor.git')
      git(checkout, 'fetch', '-q', join(dir, 'remote.git'), 'main:refs/remotes/origin/main')
      expect(await describeRunningRigor(checkout)).toMatchObject({remoteUrl: 'git@github.com:lab/rigor.git'})
      writeFileSync(join(checkout, 'package.json'), '{"edited": true}')
      expect(await describeRunningRigor(checkout)).toMatchObject({dirty: true})
      // a directory inside some repository is not that repository's code
      expect(await describeRunningRigor(dir)).toEqual({kind: 'other', root: dir})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('what init writes', () => {
  it('records github.install at the end of rigor.yaml, byte for byte before it, and edits it in place later', () => {
    const text = '# my comment\nversion: 1\nlease: {duration: 15m}   # kept\n'
    const first = recordInstall(text, './a.tgz')
    expect(first.startsWith(text)).toBe(true)
    expect(parse(first).github).toEqual({install: './a.tgz'})
    const second = recordInstall(first, 'package.json')
    expect(second).toBe(first.replace('"./a.tgz"', '"package.json"'))
    expect(recordInstall(second, 'package.json')).toBe(second)
  })

  it('fills every placeholder of the workflow, the cache keyed by what decides the install', () => {
    const template = 'env:\n  B: __RIGOR_STATE_BRANCH__\n  I: __RIGOR_INSTALL__\n  C: __CACHE_DEPENDENCY_PATH__\n'
    expect(parse(renderWorkflow(template, {stateBranch: 'research/state', install: './a.tgz'})).env).toEqual({
      B: 'research/state',
      I: './a.tgz',
      C: '.github/workflows/rigor.yml',
    })
    expect(parse(renderWorkflow(template, {stateBranch: 'main', install: 'package.json'})).env.C).toBe('package-lock.json')
    expect(() => renderWorkflow('x: __NEW__\n', {stateBranch: 'main', install: 'package.json'})).toThrow(/__NEW__/)
  })

  it('the shipped workflow never runs two cycles at once: one fixed concurrency group, a waiting run not cancelled (docs/github.md)', () => {
    const template = readFileSync(join(__dirname, '../../assets/github/rigor.yml'), 'utf8')
    const workflow = parse(renderWorkflow(template, {stateBranch: 'main', install: 'package.json'}))
    expect(workflow.concurrency).toEqual({group: 'rigor-research-cycle', 'cancel-in-progress': false})
    // a job-level group would let the review of one run overlap the workers of the next
    for (const job of Object.values(workflow.jobs)) expect(job).not.toHaveProperty('concurrency')
  })
})
