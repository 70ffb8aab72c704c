import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const REJECT = ['sh', '-c', 'printf \'{"metrics":{"sharpe":-1.0}}\' > "$RIGOR_OUT/verdict.json"']

function configWith(extra: string): string {
  return `version: 1
teams: [{name: default}]
gates:
  - name: g
    reject_when: "metrics.sharpe < 0.0"
${extra}`
}

describe('a gate or rule condition that names the DAG (nodes)', () => {
  it('is refused when rigor.yaml loads (exit 2 naming the field), not evaluated over an empty list', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [{id: 'exp/a', team: 'default', run: {command: REJECT}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    // exp/a exists, so a rule "spawn only when exp/a is not in the DAG" must never spawn; it did, since `nodes` was []
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      configWith(`rules:
  - name: first-only
    on: [proven_rejected]
    when: "!nodes.exists(n, n.id == 'exp/a')"
    spawn: [{name: again, params: {x: 1}}]
`),
    )
    repo.git('commit', '-qam', 'rule over nodes')
    const check = rigor(repo.dir, ['rules', 'check', '--json'])
    expect(check.code).toBe(2)
    const error = json(check).error
    expect(error.message).toContain('rules[0].when')
    expect(error.message).toContain('Unknown variable: nodes')
    expect(error.fix).toMatch(/waits_for/)

    writeFileSync(join(repo.dir, 'rigor.yaml'), configWith('  - {name: h, accept_when: "nodes.size() == 0"}\n'))
    repo.git('commit', '-qam', 'gate over nodes')
    const status = rigor(repo.dir, ['status'])
    expect(status.code).toBe(2)
    expect(status.stderr).toContain('gates[1].accept_when')

    // a team's waits_for still sees the DAG
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1
teams: [{name: default, waits_for: "nodes.exists(n, n.id == 'exp/a')"}]
`,
    )
    repo.git('commit', '-qam', 'waits_for over nodes')
    expect(json(rigor(repo.dir, ['rules', 'check', '--json'])).spawned).toEqual([])
  })
})
