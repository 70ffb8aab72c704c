import {describe, expect, it} from 'vitest'
import {StateStore} from '../../../src/core/state/store.js'
import {Repo} from '../../../src/core/git/repo.js'
import {editTree} from '../../../src/core/git/tree-edit.js'
import {nodeFilePath, verdictFilePath} from '../../../src/core/state/layout.js'
import {testNode} from '../../helpers/node-file.js'
import {gitRepo} from '../../helpers/git-repo.js'

describe('StateStore: verdicts without their node file', () => {
  it('are listed by every snapshot, the first of a store and the ones it brings up to date after it', async () => {
    const repo = gitRepo()
    const git = await Repo.open(repo.dir)
    try {
      const commitWith = async (parent: string | undefined, tree: string | undefined, files: Record<string, string | null>) => {
        const next = await editTree(git, tree, new Map(Object.entries(files)))
        return {commit: await git.writeCommit(next, parent ? [parent] : [], 'test'), tree: next}
      }
      // the store lists a path, never reads the verdict: any text will do
      const first = await commitWith(undefined, undefined, {
        [nodeFilePath('a/x')]: testNode('a/x', 'proven_accepted').text,
        [verdictFilePath('a/x')]: 'verdict',
        [nodeFilePath('a/y')]: testNode('a/y', 'proven_accepted').text,
        [verdictFilePath('a/y')]: 'verdict',
      })
      const nodeGone = await commitWith(first.commit, first.tree, {[nodeFilePath('a/x')]: null})
      const bothGone = await commitWith(nodeGone.commit, nodeGone.tree, {[verdictFilePath('a/x')]: null, [nodeFilePath('a/y')]: null})
      const store = new StateStore(git)
      expect((await store.snapshot(first.commit)).orphanVerdicts).toEqual([])
      const s2 = await store.snapshot(nodeGone.commit)
      expect(s2.orphanVerdicts).toEqual(['a/x'])
      expect(s2.nodes.has('a/x')).toBe(false)
      expect((await store.snapshot(bothGone.commit)).orphanVerdicts).toEqual(['a/y'])
      expect((await store.snapshot(first.commit)).orphanVerdicts).toEqual([])
      // a store that starts at the commit (another process) says the same
      expect((await new StateStore(git).snapshot(nodeGone.commit)).orphanVerdicts).toEqual(['a/x'])
    } finally {
      await git.close()
      repo.cleanup()
    }
  })
})
