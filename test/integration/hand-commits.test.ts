import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// A plain `git commit` in a checkout whose index rigor could not update commits the older versions of rigor's files.

let repo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
})

const statusOf = (dir: string, id: string) => {
  const shown = rigor(dir, ['show', id, '--json'])
  expect(shown.code, shown.stderr).toBe(0)
  return json(shown).status as string
}

describe('commits rigor did not make', () => {
  it('a plain commit over a stale index that reverts a verdict is reported by every command and failed by verify, until rigor’s versions are back', () => {
    const r = (repo = workspace())
    writeSpec(r.dir, {nodes: [nodeSpec('hand/one')]})
    expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const lock = join(r.dir, '.git', 'index.lock')
    writeFileSync(lock, '')
    const worked = rigor(r.dir, ['work'])
    expect(worked.code, worked.stderr).toBe(0)
    expect(worked.stderr).toContain('index.lock')
    const verdictCommit = r.git('rev-parse', 'HEAD').trim()
    rmSync(lock)
    writeFileSync(join(r.dir, 'note.txt'), 'mine\n')
    r.git('add', 'note.txt')
    r.git('commit', '-qm', 'a note')
    // the index held the node before its run: the commit took the verdict away
    expect(statusOf(r.dir, 'hand/one')).toBe('pending')

    const status = rigor(r.dir, ['status'])
    expect(status.stderr).toMatch(
      /state file\(s\) were changed by commit\(s\) rigor did not make .*experiments\/hand\/one\/node\.yaml \(changed\)/,
    )
    const verify = rigor(r.dir, ['verify', '--json'])
    expect(verify.code).toBe(1)
    const report = json(verify)
    expect(report.ok).toBe(false)
    const byPath = new Map(report.hand_changes.map((h: {path: string}) => [h.path, h]))
    expect(byPath.get('experiments/hand/one/verdict.yaml')).toMatchObject({change: 'removed', rigor_commit: verdictCommit})
    expect(byPath.get('experiments/hand/one/node.yaml')).toMatchObject({change: 'changed', rigor_commit: verdictCommit})
    const text = rigor(r.dir, ['verify'])
    expect(text.stdout).toContain(`git checkout ${verdictCommit.slice(0, 10)} -- `)

    // the fix verify gives, by hand: rigor's versions back in a plain commit
    r.git('checkout', verdictCommit, '--', ...report.hand_changes.map((h: {path: string}) => h.path))
    r.git('commit', '-qm', 'put rigor back')
    expect(rigor(r.dir, ['verify']).code).toBe(0)
    expect(rigor(r.dir, ['status']).stderr).not.toContain('rigor did not make')
    expect(statusOf(r.dir, 'hand/one')).toBe('proven_accepted')
    expect(rigor(r.dir, ['work']).stdout).toContain('ran 0 node(s)')
  })

  it('rigor’s commits merged from another branch, and a note of the user’s own in reports/, are not hand changes', () => {
    const r = (repo = workspace())
    const main = r.git('branch', '--show-current').trim()
    writeSpec(r.dir, {nodes: [nodeSpec('hand/main'), nodeSpec('hand/side')]})
    expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
    r.git('checkout', '-q', '-b', 'side')
    expect(rigor(r.dir, ['work', '--max-nodes', '1']).code).toBe(0)
    r.git('checkout', '-q', main)
    // reports/<name>.md is rigor's daily report; a folder of the user's own below it is not
    mkdirSync(join(r.dir, 'reports', 'notes'))
    writeFileSync(join(r.dir, 'reports', 'notes', 'my-notes.md'), '# what I think\n')
    r.git('add', 'reports/notes/my-notes.md')
    r.git('commit', '-qm', 'notes')
    r.git('merge', '-q', '--no-ff', '--no-edit', 'side')
    const verify = rigor(r.dir, ['verify', '--json'])
    expect(json(verify).hand_changes).toEqual([])
    expect(verify.code, verify.stdout).toBe(0)
    expect(rigor(r.dir, ['status']).stderr).not.toContain('rigor did not make')
  })

  it('a stale-index commit that came in through a merge (a pull) is found on the side it was made on', () => {
    const r = (repo = workspace())
    writeSpec(r.dir, {nodes: [nodeSpec('hand/pulled')]})
    expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const seeded = r.git('rev-parse', 'HEAD').trim()
    expect(rigor(r.dir, ['work']).code).toBe(0)
    const main = r.git('branch', '--show-current').trim()
    r.git('checkout', '-q', '-b', 'side')
    r.git('checkout', seeded, '--', 'experiments/hand/pulled/node.yaml')
    r.git('commit', '-qm', 'a commit over an old index')
    const stale = r.git('rev-parse', 'HEAD').trim()
    r.git('checkout', '-q', main)
    r.git('merge', '-q', '--no-ff', '--no-edit', 'side')
    expect(statusOf(r.dir, 'hand/pulled')).toBe('pending')
    const verify = rigor(r.dir, ['verify', '--json'])
    expect(verify.code).toBe(1)
    expect(json(verify).hand_changes).toEqual([
      expect.objectContaining({path: 'experiments/hand/pulled/node.yaml', commit: stale, change: 'changed'}),
    ])
    // every command looks only at commits of the branch's own (a pull may bring hundreds of files): verify looks into merges
    expect(rigor(r.dir, ['status']).stderr).not.toContain('rigor did not make')
  })

  it('a branch reset by hand to before its runs: its nodes run again, none taken for an uncommitted edit', () => {
    const r = (repo = workspace())
    writeSpec(r.dir, {nodes: [nodeSpec('hand/first'), nodeSpec('hand/second', undefined, {requires: ['hand/first']})]})
    expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const seeded = r.git('rev-parse', 'HEAD').trim()
    expect(rigor(r.dir, ['work']).stdout).toContain('ran 2 node(s)')
    // undo the runs the git way: the working tree and index are the seed's again, and git status is clean
    r.git('reset', '-q', '--hard', seeded)
    expect(r.git('status', '--porcelain', '--untracked-files=no')).toBe('')
    const worked = rigor(r.dir, ['work'])
    expect(worked.code, worked.stderr).toBe(0)
    expect(worked.stderr).not.toContain('uncommitted edits')
    expect(worked.stdout).toContain('ran 2 node(s) (2 proven_accepted)')
    expect(statusOf(r.dir, 'hand/second')).toBe('proven_accepted')
  })
})
