import {rmSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {initWorkspace} from '../../src/core/flows/init.js'
import {Workspace} from '../../src/core/state/workspace.js'
import type {Snapshot} from '../../src/core/state/store.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

/** A change that counts: it reads counter.txt from the state it is decided on and writes one more. */
function countOnce(ws: Workspace, label: string, opts: {fail?: boolean} = {}) {
  return ws.commit(
    async (snap: Snapshot) => {
      if (opts.fail) throw new Error(`plan ${label} fails`)
      const now = snap.commit ? await ws.repo.readFileAt(snap.commit, 'counter.txt') : undefined
      const next = Number(now?.toString() ?? '0') + 1
      return {
        files: new Map([['counter.txt', `${next}`]]),
        message: {action: 'verdict' as const, subject: `count ${label}`},
        result: next,
      }
    },
    {batch: true},
  )
}

describe('batched commits', () => {
  it('each is its own commit decided on the state the one before left, landed in one move of the branch; a failing one is left out', async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      const movesBefore = repo.git('reflog', 'show', '--format=%H', 'refs/heads/main').split('\n').length
      const tipBefore = repo.git('rev-parse', 'main')
      // queued together: the first starts landing at once, the rest queue behind it and land as one batch
      const outcomes = ['a', 'b', 'c', 'd', 'e'].map((label) => countOnce(ws, label, {fail: label === 'c'}))
      const settled = await Promise.allSettled(outcomes)
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect(String((settled[2] as PromiseRejectedResult).reason)).toContain('plan c fails')
      const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.result] : []))
      expect(results).toEqual([1, 2, 3, 4])
      // one commit per change, in a line, each with its own message
      const subjects = repo.git('log', '--format=%s', `${tipBefore}..main`).split('\n').reverse()
      expect(subjects).toEqual(['rigor: count a', 'rigor: count b', 'rigor: count d', 'rigor: count e'])
      expect(repo.git('rev-list', '--merges', `${tipBefore}..main`)).toBe('')
      expect(repo.git('show', 'main:counter.txt')).toBe('4')
      // the branch moved twice: the first change alone, then the batch of three
      const movesAfter = repo.git('reflog', 'show', '--format=%H', 'refs/heads/main').split('\n').length
      expect(movesAfter - movesBefore).toBe(2)
      const fulfilled = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.commit] : []))
      expect(fulfilled.at(-1)).toBe(repo.git('rev-parse', 'main'))
    } finally {
      await ws.close()
    }
  })

  it("waits for a young branch lock (a live writer a loaded machine keeps waiting) and fails at once on an old one (a crashed git's)", async () => {
    repo = gitRepo()
    await initWorkspace(repo.dir)
    const ws = await Workspace.open(repo.dir)
    try {
      const lock = join(repo.dir, '.git', 'refs', 'heads', 'main.lock')
      writeFileSync(lock, '')
      // held for longer than the one second rigor used to allow, then let go: the change lands after it
      const letGo = setTimeout(() => rmSync(lock), 1500)
      try {
        expect((await countOnce(ws, 'a')).result).toBe(1)
      } finally {
        clearTimeout(letGo)
      }
      writeFileSync(lock, '')
      const old = new Date(Date.now() - 60_000)
      utimesSync(lock, old, old)
      await expect(countOnce(ws, 'b')).rejects.toThrow(/main\.lock has existed for over 5 seconds/)
      expect(repo.git('show', 'main:counter.txt')).toBe('1')
    } finally {
      await ws.close()
    }
  })
})
