import {execFileSync} from 'node:child_process'
import {afterEach, describe, expect, it} from 'vitest'
import {claimNextNode, releaseHeld} from '../../../src/core/dag/claims.js'
import {nodesOfSpec, seedNodes} from '../../../src/core/dag/seed.js'
import {InputError} from '../../../src/core/errors.js'
import {initWorkspace} from '../../../src/core/flows/init.js'
import {policies} from '../../../src/core/flows/policies.js'
import {SeedSpec} from '../../../src/core/schemas/index.js'
import {Workspace} from '../../../src/core/state/workspace.js'
import {gitRepo, type TempRepo} from '../../helpers/git-repo.js'

let repo: TempRepo | undefined

/** Commits `text` as rigor.yaml on top of main by plumbing, as another clone's push would land: this checkout's index is not used. */
function commitConfig(r: TempRepo, text: string, message: string): void {
  const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {cwd: r.dir, input: text, encoding: 'utf8'}).trim()
  const entries = r
    .git('ls-tree', 'main')
    .split('\n')
    .filter((line) => !line.endsWith('\trigor.yaml'))
  const tree = execFileSync('git', ['mktree'], {
    cwd: r.dir,
    input: `${[...entries, `100644 blob ${blob}\trigor.yaml`].join('\n')}\n`,
    encoding: 'utf8',
  }).trim()
  const tip = r.git('rev-parse', 'main')
  r.git('update-ref', 'refs/heads/main', r.git('commit-tree', tree, '-p', tip, '-m', message), tip)
}
afterEach(() => repo?.cleanup())

describe('a long-running command whose state branch rigor.yaml moves elsewhere', () => {
  it('claims nothing more (exit 2 with the field and the fix) and can still put back what it held, instead of going on with the state on the old branch', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      const spec = SeedSpec.parse({
        nodes: [
          {id: 'x/a', team: 'default', run: {command: ['true']}},
          {id: 'x/b', team: 'default', run: {command: ['true']}, priority: 9},
        ],
      })
      // seeded by another command, which brings the checkout along as it ends
      const seeder = await Workspace.open(repo.dir)
      await seedNodes(seeder, nodesOfSpec(spec, {createdAt: new Date().toISOString()}), {file: 'spec.yaml'})
      await seeder.close()
      // this process holds x/b when someone commits a rigor.yaml that puts the state on another branch
      expect((await claimNextNode(ws, {worker: 'w', admission: policies.admission})).claimed?.id).toBe('x/b')
      const config = repo.git('show', 'main:rigor.yaml')
      commitConfig(repo, `${config}\nbranch: research\n`, 'the state moves to research')
      const claim = claimNextNode(ws, {worker: 'w', admission: policies.admission})
      await expect(claim).rejects.toThrow(InputError)
      await expect(claim).rejects.toMatchObject({field: 'branch'})
      await expect(claim).rejects.toThrow(/now names research as the state branch, while this command keeps the state on main/)
      // nothing more was claimed on the old branch, and what this process held it can still put back there
      expect(repo.git('show', 'main:experiments/x/a/node.yaml')).toMatch(/status: pending/)
      expect(await releaseHeld(ws, 'w', (node) => node.id === 'x/b', 'on shutdown')).toEqual(['x/b'])
      // a config that names its own branch is this branch's: no change of place
      commitConfig(repo, `${config}\nbranch: main\n`, 'back on main, said so')
      expect((await claimNextNode(ws, {worker: 'w', admission: policies.admission})).claimed?.id).toBe('x/b')
    } finally {
      await ws.close()
    }
  }, 60_000)
})
