import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

// what rigor says of a rigor.yaml it reads at the state branch's tip: missing there, or wrong there
let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor.yaml at the branch tip', () => {
  it('removed by a commit: names the commit and the command that restores it, not rigor init; a repository that never had one is told rigor init', () => {
    repo = workspace()
    repo.git('rm', '-q', 'rigor.yaml')
    repo.git('commit', '-qm', 'tidy up')
    const removedBy = repo.git('log', '-1', '--format=%h')
    const status = rigor(repo.dir, ['status'])
    expect(status.code).toBe(2)
    expect(status.stderr).toContain(`rigor.yaml is missing at the tip of branch main: commit ${removedBy} removed it`)
    const restore = `git checkout ${removedBy}^ -- rigor.yaml && git commit -m "restore rigor.yaml"`
    expect(status.stderr).toContain(restore)
    expect(status.stderr).not.toContain('rigor init')
    expect(json(rigor(repo.dir, ['status', '--json'])).error).toMatchObject({exit: 2, fix: expect.stringContaining(restore)})
    // restored as uncommitted: the draft is named, with the commit, and rigor init still not offered
    repo.git('checkout', `${removedBy}^`, '--', 'rigor.yaml')
    const draft = rigor(repo.dir, ['status'])
    expect(draft.stderr).toContain(`not committed on branch main (commit ${removedBy} removed it)`)
    expect(draft.stderr).not.toContain('rigor init')
    // the command given works
    repo.git('commit', '-qm', 'restore rigor.yaml')
    expect(rigor(repo.dir, ['status']).code).toBe(0)

    const never = gitRepo()
    try {
      writeFileSync(join(never.dir, 'notes.md'), 'notes\n')
      never.git('add', 'notes.md')
      never.git('commit', '-qm', 'notes')
      const fresh = rigor(never.dir, ['status'])
      expect(fresh.code).toBe(2)
      expect(fresh.stderr).toContain('branch main has no committed rigor.yaml')
      expect(fresh.stderr).toContain('run `rigor init` first')
    } finally {
      never.cleanup()
    }
  })
})
