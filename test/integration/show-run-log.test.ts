import {afterEach, describe, expect, it} from 'vitest'
import {rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const FAILING = [
  process.execPath,
  '-e',
  "console.log('loading prices'); console.error('KeyError: \\x1b[31mclose\\x1b[0m'); process.exit(1)",
]

describe('rigor show of a run that failed', () => {
  it('prints the end of its committed run.log (escaped), where the runner said why; a run that did not fail shows none', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('default/broken', FAILING), nodeSpec('default/fine', verdictRunner({sharpe: 1}))]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const broken = rigor(repo.dir, ['show', 'default/broken'])
    expect(broken.code, broken.stderr).toBe(0)
    // it said only "reason: exited with code 1"
    expect(broken.stdout).toContain(
      '## run.log (the last 2 line(s) of experiments/default/broken/out/run.log)\nloading prices\nKeyError: \\u001b[31mclose\\u001b[0m',
    )
    expect(rigor(repo.dir, ['show', 'default/fine']).stdout).not.toContain('## run.log')
  })
})
