import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// rigor run <sweep group> exited 1 ("not claimable"), rigor rerun of it 2: both are bad input
describe('rigor run and rerun of a sweep group', () => {
  it('exit 2 alike, naming a few of its variants and how to list them all; nothing is claimed', () => {
    repo = workspace()
    writeSpec(repo.dir, {sweeps: [{id: 's/grid', team: 'default', run: {command: ['true']}, grid: {n: [1, 2, 3, 4]}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const head = repo.git('rev-parse', 'HEAD')
    for (const [command, verb] of [
      ['run', 'run'],
      ['rerun', 'rerun'],
    ]) {
      const result = rigor(repo.dir, [command!, 's/grid', '--json'])
      expect(result.code, result.stdout).toBe(2)
      expect(json(result).error).toMatchObject({
        message: expect.stringMatching(/^s\/grid is a sweep group, which .*never runs$/),
        fix: `${verb} one of its variants: s/grid/n-1, s/grid/n-2, s/grid/n-3, ... and 1 more (rigor show s/grid lists all 4)`,
      })
    }
    expect(repo.git('rev-parse', 'HEAD')).toBe(head)
  })
})
