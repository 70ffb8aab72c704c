import {execFileSync} from 'node:child_process'
import {appendFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
let scratch: string | undefined
afterEach(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  repo = scratch = undefined
})

/** stderr with oclif's warning layout (wrapped at 80 columns, each line led by " ›") undone */
const unwrapped = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ')

describe('rigor.yaml committed here but not pushed, with --remote', () => {
  it('is said to need a push, not a commit; an uncommitted edit is still a draft to commit', () => {
    repo = workspace()
    scratch = mkdtempSync(join(tmpdir(), 'rigor-draft-remote-'))
    const bare = join(scratch, 'lab.git')
    execFileSync('git', ['init', '-q', '--bare', bare], {env: {...process.env, ...GIT_ENV}})
    repo.git('remote', 'add', 'origin', bare)
    repo.git('push', '-q', 'origin', 'main')
    appendFileSync(join(repo.dir, 'rigor.yaml'), '# a comment, committed and not pushed\n')
    repo.git('commit', '-qam', 'config edit')
    writeSpec(repo.dir, {nodes: [nodeSpec('default/a')]})
    for (const args of [['status'], ['seed', 'spec.yaml']]) {
      const result = rigor(repo.dir, [...args, '--remote', 'origin'])
      expect(result.code, result.stderr).toBe(0)
      // it said "differs from the committed one ... until you commit it (git commit rigor.yaml)": it is committed
      const said = unwrapped(result.stderr)
      expect(said).toContain('rigor.yaml is committed on main here but not pushed to origin')
      expect(said).toContain('git push origin main')
      expect(said).not.toContain('git commit rigor.yaml')
    }
    appendFileSync(join(repo.dir, 'rigor.yaml'), '# an edit not committed\n')
    const draft = rigor(repo.dir, ['status', '--remote', 'origin'])
    expect(unwrapped(draft.stderr)).toContain('git commit rigor.yaml')
  })
})
