import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'
import {actionsPerNode, manyNodes, workspace, writeSpec} from './helpers.js'

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

describe('concurrent workers', () => {
  // the 8 processes race from the first claim to the last, so a double claim shows at 48 nodes as at 200
  it('8 processes in one checkout run each of 48 nodes exactly once', async () => {
    repo = workspace()
    writeSpec(repo.dir, manyNodes(48, SH_OK))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const workers = Array.from({length: 8}, (_, i) => rigorAsync(repo.dir, ['work', '--worker', `w${i}`, '--json']))
    const results = await Promise.all(workers)
    for (const r of results) expect(r.code, `${r.stderr}${r.stdout}`).toBe(0)
    const finished = results.map((r) => json(r).finished as number)
    expect(finished.reduce((a, b) => a + b, 0)).toBe(48)
    expectEachRunOnce(Array.from({length: 48}, (_, i) => `bulk/n${String(i).padStart(4, '0')}`))
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status.proven_accepted).toBe(48)
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    expect(repo.git('status', '--porcelain')).toBe('?? spec.yaml')
  })

  it("a user's uncommitted edit and untracked file survive a whole work run", async () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'notes.md'), 'first\n')
    repo.git('add', 'notes.md')
    repo.git('commit', '-qm', 'user notes')
    writeFileSync(join(repo.dir, 'notes.md'), 'first\nmy uncommitted line\n')
    writeFileSync(join(repo.dir, 'scratch.txt'), 'untracked work\n')
    writeFileSync(join(repo.dir, 'staged.txt'), 'staged but not committed\n')
    repo.git('add', 'staged.txt')
    writeSpec(repo.dir, manyNodes(20, SH_OK))
    const before = repo.git('status', '--porcelain')
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const results = await Promise.all([0, 1].map((i) => rigorAsync(repo.dir, ['work', '--parallel', '2', '--worker', `u${i}`])))
    for (const r of results) expect(r.code, `${r.stderr}${r.stdout}`).toBe(0)
    expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('first\nmy uncommitted line\n')
    expect(readFileSync(join(repo.dir, 'scratch.txt'), 'utf8')).toBe('untracked work\n')
    expect(repo.git('status', '--porcelain')).toBe(before)
    // nothing of the user's was committed by rigor
    const touched = repo.git('log', '--format=', '--name-only', '--grep=Rigor-Action', 'main').split('\n').filter(Boolean)
    expect(touched.some((p) => ['notes.md', 'scratch.txt', 'staged.txt', 'spec.yaml'].includes(p))).toBe(false)
    expect(repo.git('show', 'main:notes.md')).toBe('first')
  })
})
