import {appendFileSync, cpSync, mkdtempSync, rmSync, utimesSync} from 'node:fs'
import {execFileSync} from 'node:child_process'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
const copies: string[] = []
afterEach(() => {
  repo?.cleanup()
  for (const dir of copies.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/**
 * A workspace seeded with instant nodes `t/<name>`, and a copy of it (new inodes and times for every file: git lists
 * them all as changed until something reads them), with a git bound to the copy.
 */
function seededCopy(names: string[]): {copy: string; git: (...args: string[]) => string} {
  repo = workspace()
  writeSpec(repo.dir, {nodes: names.map((n) => ({id: `t/${n}`, team: 'default', run: {command: ['true']}}))})
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  const parent = mkdtempSync(join(tmpdir(), 'rigor-copy-'))
  copies.push(parent)
  const copy = join(parent, 'ws')
  cpSync(repo.dir, copy, {recursive: true})
  return {copy, git: (...args) => execFileSync('git', args, {cwd: copy, encoding: 'utf8'}).trim()}
}

describe('a checkout copied, moved or restored from a backup', () => {
  it('claims as before: files whose index entries are stat-dirty are compared by content, and only a real edit keeps a node back', () => {
    const {copy} = seededCopy(['a', 'b', 'c'])
    const later = new Date(Date.now() + 60_000)
    utimesSync(join(copy, 'experiments/t/b/node.yaml'), later, later)
    appendFileSync(join(copy, 'experiments/t/c/node.yaml'), '# my note\n')
    const claims = ['w1', 'w2', 'w3'].map((worker) => rigor(copy, ['claim', '--worker', worker]))
    // the third finds nothing it may claim (exit 3): c is held back by its edit
    expect(claims.map((c) => c.code)).toEqual([0, 0, 3])
    expect(json(rigor(copy, ['status', '--json'])).by_status.running).toBe(2)
    const running = ['a', 'b', 'c'].filter((n) => json(rigor(copy, ['show', `t/${n}`, '--json'])).status === 'running')
    expect(running).toEqual(['a', 'b'])
    const warnings = claims.map((c) => c.stderr).join('\n')
    expect(warnings).toContain('experiments/t/c/node.yaml has uncommitted edits')
    expect(warnings).not.toContain('experiments/t/a/node.yaml')
    expect(warnings).not.toContain('experiments/t/b/node.yaml')
  })

  it('a run in the copy brings its checkout along through git read-tree: the index is refreshed once, not compared path by path at every sync', () => {
    const {copy, git} = seededCopy(['a', 'b', 'c', 'd'])
    // as `cp -a` of a checkout made an hour ago: files older than the index are not racily clean once read
    const hourAgo = new Date(Date.now() - 3_600_000)
    for (const file of git('ls-files', '-z').split('\0').filter(Boolean)) utimesSync(join(copy, file), hourAgo, hourAgo)
    // every tracked file is stat-dirty in the copy, rigor.yaml among them, which no run changes
    expect(git('diff-files', '--name-only')).toContain('rigor.yaml')
    const work = rigor(copy, ['work', '--parallel', '2'])
    expect(work.code, work.stderr).toBe(0)
    expect(work.stderr).not.toContain('not fully updated')
    // read-tree refused the stat-dirty files until the index was refreshed: now git knows them unchanged
    // (asked before `git status`, which refreshes the index itself)
    expect(git('diff-files', '--name-only')).toBe('')
    expect(git('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(git('show', 'HEAD:experiments/t/d/node.yaml')).toContain('inconclusive')
  })

  it('when someone else committed on the branch, the path-by-path sync of a copy keeps the index in step with every version the branch had', () => {
    const {copy, git} = seededCopy(['a', 'b', 'c'])
    expect(rigor(copy, ['claim', '--worker', 'w1']).code).toBe(0)
    // a plain commit of the user's between rigor's: the next sync cannot be git's fast-forward alone
    appendFileSync(join(copy, 'notes.md'), 'a note\n')
    git('add', 'notes.md')
    git('commit', '-qm', 'a note')
    utimesSync(join(copy, 'rigor.yaml'), new Date(Date.now() + 60_000), new Date(Date.now() + 60_000))
    const work = rigor(copy, ['work', '--parallel', '2'])
    expect(work.code, work.stderr).toBe(0)
    expect(work.stderr).not.toContain('not fully updated')
    expect(git('status', '--porcelain', '--untracked-files=no')).toBe('')
    expect(git('show', 'HEAD:notes.md')).toBe('a note')
  })
})
