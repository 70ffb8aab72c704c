import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitConfig, nodeSpec, workspace, writeSpec} from './helpers.js'

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
})
