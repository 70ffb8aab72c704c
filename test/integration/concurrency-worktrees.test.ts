import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'
import {actionsPerNode, manyNodes, workspace, writeSpec} from './helpers.js'

// apart from concurrency.test.ts, so that neither file takes over 90 s on a loaded machine
let repo: TempRepo
afterEach(() => repo?.cleanup())

function expectEachRunOnce(ids: string[]) {
  const claims = actionsPerNode(repo, 'claim')
  const verdicts = actionsPerNode(repo, 'verdict')
  for (const id of ids) {
    expect(claims.get(id), `claims of ${id}`).toBe(1)
    expect(verdicts.get(id), `verdicts of ${id}`).toBe(1)
  }
}

describe('concurrent workers in two worktrees', () => {
  // the 4 processes race from the first claim to the last; what is at stake is that two worktrees share one lock
  // and one ref, which 24 nodes show as well as 24 did
  it('4 processes in two worktrees of one repository never double-claim', async () => {
    repo = workspace()
    // a detached worktree knows the state branch only from rigor.yaml
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')}\nbranch: main\n`)
    repo.git('commit', '-qam', 'state branch')
    writeSpec(repo.dir, manyNodes(24, SH_OK))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const second = `${repo.dir}-wt`
    repo.git('worktree', 'add', '-q', '--detach', second)
    try {
      const workers = [repo.dir, repo.dir, second, second].map((dir, i) => rigorAsync(dir, ['work', '--worker', `wt${i}`, '--json']))
      const results = await Promise.all(workers)
      for (const r of results) expect(r.code, `${r.stderr}${r.stdout}`).toBe(0)
      expect(results.map((r) => json(r).finished as number).reduce((a, b) => a + b, 0)).toBe(24)
      expectEachRunOnce(Array.from({length: 24}, (_, i) => `bulk/n${String(i).padStart(4, '0')}`))
      expect(rigor(repo.dir, ['verify']).code).toBe(0)
      expect(repo.git('status', '--porcelain')).toBe('?? spec.yaml')
      // the detached worktree followed the state branch
      expect(repo.git('-C', second, 'status', '--porcelain')).toBe('')
      expect(repo.git('-C', second, 'rev-parse', 'HEAD')).toBe(repo.git('rev-parse', 'main'))
    } finally {
      repo.git('worktree', 'remove', '--force', second)
    }
  })
})
