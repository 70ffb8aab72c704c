import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {nodeSpec, writeSpec} from './helpers.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rigor-gitenv-'))
  dirs.push(dir)
  return dir
}

const gitIn =
  (cwd: string, env: Record<string, string> = {}) =>
  (...args: string[]) =>
    execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV, ...env}, encoding: 'utf8'}).trim()

/**
 * init, seed two nodes, work, rerun one: the checkout must hold every file rigor committed, its index must match the
 * branch (nothing staged, no file missing), and a plain `git commit` afterwards must keep rigor's verdicts.
 */
function expectCheckoutFollowsTheBranch(dir: string, env: Record<string, string> = {}): void {
  // the test's own git looks at the checkout's index, not at a scratch one rigor was run with
  const {GIT_INDEX_FILE: _scratch, ...checkout} = env
  const git = gitIn(dir, checkout)
  expect(rigor(dir, ['init'], env).code).toBe(0)
  writeSpec(dir, {nodes: [nodeSpec('t/a'), nodeSpec('t/b')]})
  expect(rigor(dir, ['seed', 'spec.yaml'], env).code).toBe(0)
  const work = rigor(dir, ['work', '--parallel', '2'], env)
  expect(work.code, work.stderr).toBe(0)
  expect(rigor(dir, ['rerun', 't/a'], env).code).toBe(0)
  // nothing staged or deleted: the index and the files are at the branch's tip
  expect(git('status', '--porcelain', '--untracked-files=no')).toBe('')
  expect(existsSync(join(dir, 'rigor.yaml'))).toBe(true)
  expect(existsSync(join(dir, 'experiments/t/b/verdict.yaml'))).toBe(true)
  git('commit', '-q', '--allow-empty', '-m', 'my own commit')
  expect(json(rigor(dir, ['show', 't/b', '--json'], env)).status).toBe('proven_accepted')
  expect(json(rigor(dir, ['status', '--json'], env)).by_status.pending).toBe(1)
}

describe('a checkout whose git directory is not its .git folder', () => {
  it('git init --separate-git-dir: rigor brings the checkout along with its commits', () => {
    const base = tempDir()
    const dir = join(base, 'ws')
    execFileSync('git', ['init', '-q', '-b', 'main', `--separate-git-dir=${join(base, 'gitdir')}`, dir], {
      env: {...process.env, ...GIT_ENV},
    })
    expectCheckoutFollowsTheBranch(dir)
  })

  it('a submodule: its git directory is in the superproject, its files in the submodule folder', () => {
    const base = tempDir()
    const inner = join(base, 'inner')
    mkdirSync(inner)
    gitIn(inner)('init', '-q', '-b', 'main')
    gitIn(inner)('commit', '-q', '--allow-empty', '-m', 'start')
    const outer = join(base, 'outer')
    mkdirSync(outer)
    const git = gitIn(outer)
    git('init', '-q', '-b', 'main')
    git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', inner, 'research')
    git('commit', '-q', '-m', 'submodule')
    const dir = join(outer, 'research')
    gitIn(dir)('checkout', '-q', 'main')
    expectCheckoutFollowsTheBranch(dir)
    // a linked worktree of the submodule: git lists the submodule's checkout at its git directory, core.worktree says where
    writeFileSync(join(dir, 'rigor.yaml'), `${readFileSync(join(dir, 'rigor.yaml'), 'utf8')}\nbranch: main\n`)
    gitIn(dir)('commit', '-q', '-am', 'state branch')
    const linked = join(base, 'linked')
    gitIn(dir)('worktree', 'add', '-q', '--detach', linked)
    expect(rigor(linked, ['rerun', 't/b']).code).toBe(0)
    expect(gitIn(dir)('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(readFileSync(join(dir, 'experiments/t/b/node.yaml'), 'utf8')).toContain('status: pending')
  })

  it('GIT_DIR and GIT_WORK_TREE in the environment', () => {
    const base = tempDir()
    const dir = join(base, 'ws')
    mkdirSync(dir)
    gitIn(dir)('init', '-q', '-b', 'main')
    renameSync(join(dir, '.git'), join(base, 'store.git'))
    expectCheckoutFollowsTheBranch(dir, {GIT_DIR: join(base, 'store.git'), GIT_WORK_TREE: dir})
  })
})

describe('GIT_DIR and GIT_WORK_TREE in the environment, with a linked worktree', () => {
  it("each checkout's sync runs on that checkout: the linked one follows the branch, this one keeps its branch", () => {
    const base = tempDir()
    const dir = join(base, 'ws')
    mkdirSync(dir)
    const git = gitIn(dir)
    git('init', '-q', '-b', 'main')
    expect(rigor(dir, ['init']).code).toBe(0)
    writeFileSync(join(dir, 'rigor.yaml'), `${readFileSync(join(dir, 'rigor.yaml'), 'utf8')}\nbranch: main\n`)
    git('commit', '-q', '-am', 'state branch')
    const linked = join(base, 'linked')
    git('worktree', 'add', '-q', '--detach', linked)
    // the repository's git directory moved out of the checkout, both checkouts told where it went
    const store = join(base, 'store.git')
    renameSync(join(dir, '.git'), store)
    writeFileSync(join(linked, '.git'), `gitdir: ${join(store, 'worktrees', 'linked')}\n`)
    writeFileSync(join(store, 'worktrees', 'linked', 'gitdir'), `${join(linked, '.git')}\n`)
    const env = {GIT_DIR: store, GIT_WORK_TREE: dir}
    writeSpec(dir, {nodes: [nodeSpec('t/a')]})
    const seed = rigor(dir, ['seed', 'spec.yaml'], env)
    expect(seed.code, seed.stderr).toBe(0)
    expect(seed.stderr).not.toContain('not fully updated')
    expect(gitIn(dir, env)('symbolic-ref', 'HEAD')).toBe('refs/heads/main')
    expect(gitIn(dir, env)('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(gitIn(linked)('rev-parse', 'HEAD')).toBe(gitIn(dir, env)('rev-parse', 'main'))
    expect(gitIn(linked)('status', '--porcelain', '--untracked-files=no')).toBe('')
  })
})

describe("GIT_INDEX_FILE in the environment (a script's scratch index, a hook's)", () => {
  it("rigor brings the checkout's own index along, and leaves the other alone", () => {
    const base = tempDir()
    const dir = join(base, 'ws')
    mkdirSync(dir)
    gitIn(dir)('init', '-q', '-b', 'main')
    const scratch = join(base, 'scratch-index')
    expectCheckoutFollowsTheBranch(dir, {GIT_INDEX_FILE: scratch})
    expect(existsSync(scratch)).toBe(false)
  })
})
