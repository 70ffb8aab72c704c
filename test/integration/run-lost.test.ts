import {afterEach, describe, expect, it} from 'vitest'
import {BIN, json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor run of a node taken back while it ran', () => {
  it('exits 1 saying the run was not recorded, not 0 as if it were done', () => {
    repo = workspace()
    // the runner itself has the node cancelled and rerun (in sessions of their own, deaf to the stop it brings on), and
    // ignores that stop: when it ends, the node is pending again and the run's result has nowhere to go
    const script = [
      "trap '' TERM",
      'setsid -w "$1" "$2" cancel x/taken --by me >/dev/null',
      'setsid -w "$1" "$2" rerun x/taken --by me >/dev/null',
      `printf '{"metrics":{"sharpe":1}}' > "$RIGOR_OUT/verdict.json"`,
    ].join('\n')
    const command = ['sh', '-c', script, 'sh', process.execPath, BIN]
    writeSpec(repo.dir, {nodes: [{...nodeSpec('x/taken', command), run: {command, timeout: '1m', sandbox: 'off'}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const run = rigor(repo.dir, ['run', 'x/taken', '--json'])
    expect(run.code, run.stdout).toBe(1)
    expect(json(run).error.message).toMatch(/^the run of x\/taken was not recorded: /)
    expect(repo.git('show', 'main:experiments/x/taken/node.yaml')).toMatch(/status: pending/)
    expect(repo.git('ls-tree', '--name-only', 'main', 'experiments/x/taken/')).not.toContain('verdict')
  })
})
