import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

function commitRule(dir: string, on: string) {
  writeFileSync(
    join(dir, 'rigor.yaml'),
    `version: 1
teams: [{name: default}]
rules:
  - {name: r, on: ${on}, spawn: [{name: kid, params: {a: 1}}]}
`,
  )
}

describe('a rule whose `on` lists no status a rule fires on', () => {
  it('makes rigor.yaml invalid (exit 2 naming rules[0].on), not a rule that silently never spawns', () => {
    repo = workspace()
    for (const on of ['[running]', '[pending]', '[inconclusive, blocked, cancelled]']) {
      commitRule(repo.dir, on)
      repo.git('commit', '-qam', `on: ${on}`)
      const result = rigor(repo.dir, ['rules', 'check', '--json'])
      expect(result.code, on).toBe(2)
      const error = json(result).error
      expect(error.message).toContain('rules[0].on')
      expect(error.message).toMatch(/never spawn.*proven_accepted and\/or proven_rejected/)
    }
    // one status that fires is enough: a rule may list the others too
    commitRule(repo.dir, '[inconclusive, proven_rejected]')
    repo.git('commit', '-qam', 'on: a firing status')
    expect(rigor(repo.dir, ['rules', 'check', '--json']).code).toBe(0)
  })
})
