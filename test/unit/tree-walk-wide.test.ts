import {execFileSync} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Repo} from '../../src/core/git/repo.js'
import {diffTrees} from '../../src/core/git/tree-walk.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'

describe('diffTrees on a directory of 200,000 files', () => {
  let repo: TempRepo
  let git: Repo
  const mktree = (lines: string) =>
    execFileSync('git', ['mktree'], {cwd: repo.dir, env: {...process.env, ...GIT_ENV}, input: lines, encoding: 'utf8'}).trim()
  beforeAll(async () => {
    repo = gitRepo()
    git = await Repo.open(repo.dir)
  })
  afterAll(() => {
    git.close()
    repo.cleanup()
  })

  // one seed of many sweeps adds that many node files under experiments/: the next snapshot lists them all as changed
  it('lists every added blob, not a stack overflow (JavaScript limits the arguments of one call)', async () => {
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {cwd: repo.dir, input: 'x', encoding: 'utf8'}).trim()
    const count = 200_000
    const wide = mktree(Array.from({length: count}, (_, i) => `100644 blob ${blob}\tn${i}\n`).join(''))
    const before = mktree(`100644 blob ${blob}\trigor.yaml\n`)
    const after = mktree(`100644 blob ${blob}\trigor.yaml\n040000 tree ${wide}\texperiments\n`)
    const changes = await diffTrees(git, before, after)
    expect(changes).toHaveLength(count)
    expect(changes[count - 1]).toEqual({path: expect.stringMatching(/^experiments\/n\d+$/), oid: blob})
  }, 120_000)
})
