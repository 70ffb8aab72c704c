import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const verdict = (sharpe: number) => ['sh', '-c', `printf '{"metrics":{"sharpe":${sharpe}}}' > "$RIGOR_OUT/verdict.json"`]

describe('a rule spawn of a node that requires another', () => {
  it('keeps the requirement: the spawn waits while the upstream is rerun, as its source would', () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1
teams: [{name: default}]
gates:
  - {name: g, reject_when: "metrics.sharpe < 0.0", accept_when: "metrics.sharpe >= 0.3"}
rules:
  - {name: more, on: [proven_rejected], spawn: [{name: kid, params: {k: 1}}]}
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'up/a', team: 'default', run: {command: verdict(1)}},
        {id: 'st/b', team: 'default', run: {command: verdict(-1)}, requires: ['up/a']},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work', '--max-nodes', '2']).code).toBe(0)
    expect(json(rigor(repo.dir, ['show', 'st/b/kid', '--json'])).requires).toEqual(['up/a'])

    expect(rigor(repo.dir, ['rerun', 'up/a']).code).toBe(0)
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('up/a')
    // up/a is running again, not proven_accepted: its dependents' variant must not start
    const next = rigor(repo.dir, ['claim', '--json'])
    expect(next.code).toBe(3)
    expect(json(next).error.message).toMatch(/nothing claimable/)
  })
})
