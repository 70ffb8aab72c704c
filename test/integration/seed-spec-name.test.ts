import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// schema errors named the spec by its absolute path, seed-level errors (a cycle, a missing team) as typed
describe('a seed error names the spec as the user typed it, relative to --cwd', () => {
  it('schema errors, a requires cycle and a missing team alike', () => {
    repo = workspace()
    mkdirSync(join(repo.dir, 'sub'))
    writeSpec(repo.dir, {nodes: [{id: 'a/x', tem: 'default'}]}, 'schema.yaml')
    writeSpec(
      repo.dir,
      {nodes: [nodeSpec('a/x', ['true'], {requires: ['a/y']}), nodeSpec('a/y', ['true'], {requires: ['a/x']})]},
      'cycle.yaml',
    )
    writeSpec(repo.dir, {nodes: [{...nodeSpec('a/x'), team: 'nope'}]}, 'team.yaml')
    const messageOf = (spec: string) => {
      const seed = rigor(repo.dir, ['seed', spec, '--cwd', 'sub', '--json'])
      expect(seed.code).toBe(2)
      return json(seed).error as {message: string; fix: string}
    }
    const schema = messageOf('../schema.yaml')
    expect(schema.message).toMatch(/^\.\.\/schema\.yaml, field "nodes\[0\]\./)
    expect(schema.fix).toBe('correct the fields named in ../schema.yaml')
    expect(messageOf('../cycle.yaml').message).toMatch(/^\.\.\/cycle\.yaml, field "a\/x\.requires": requires forms a cycle/)
    expect(messageOf('../team.yaml').message).toMatch(/^\.\.\/team\.yaml, field "a\/x\.team": team "nope"/)
    expect(messageOf('../none.yaml').message).toBe('../none.yaml: no such file')
  })
})
