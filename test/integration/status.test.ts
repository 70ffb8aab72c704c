import {appendFileSync, cpSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execFileSync} from 'node:child_process'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {commitConfig, manyNodes, nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor status', () => {
  it('shows a team of rigor.yaml that has no nodes yet, with zero counts, as status --team does', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('d/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    commitConfig(repo, {teams: [{name: 'default'}, {name: 'research2'}]})
    const text = rigor(repo.dir, ['status'])
    expect(text.code, text.stderr).toBe(0)
    const rows = text.stdout.split('\n')
    expect(rows).toContain('default\t1\t0\t0\t0\t0\t0\t0')
    expect(rows).toContain('research2\t0\t0\t0\t0\t0\t0\t0')
    const summary = json(rigor(repo.dir, ['status', '--json']))
    expect(summary.by_team).toEqual({default: {pending: 1}, research2: {}})
    expect(json(rigor(repo.dir, ['status', '--team', 'research2', '--json'])).by_team).toEqual({research2: {}})
  })

  it('in a copied checkout (every index entry stat-dirty) names only the file really edited, and refreshes the index once', () => {
    repo = workspace()
    writeSpec(repo.dir, manyNodes(80, ['true']))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const scratch = mkdtempSync(join(tmpdir(), 'rigor-copied-'))
    try {
      const copy = join(scratch, 'copy')
      // a copy's files have new inodes and times: git's stat data of every entry is stale
      cpSync(repo.dir, copy, {recursive: true})
      const edited = 'experiments/bulk/n0007/node.yaml'
      appendFileSync(join(copy, edited), '# a hand edit\n')
      const git = (...args: string[]) => execFileSync('git', args, {cwd: copy, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
      expect(git('diff-index', '--name-only', 'HEAD', '--', 'experiments').split('\n').filter(Boolean).length).toBeGreaterThan(80)
      const summary = json(rigor(copy, ['status', '--json']))
      expect(summary.local_edits).toEqual([edited])
      // refreshed as git status would: the next status reads no file again
      expect(git('diff-index', '--name-only', 'HEAD', '--', 'experiments').trim()).toBe(edited)
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })
})
