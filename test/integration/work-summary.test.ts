import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
})

describe('the work summary', () => {
  it('counts every node it claimed, the ones claimed ahead and put back unstarted too: claimed = finished + released + lost', () => {
    const r = (repo = workspace())
    // a quick node first (short runs make the loop claim the next node ahead), then nodes that outlast the deadline
    writeSpec(r.dir, {
      nodes: [nodeSpec('sum/quick', undefined, {priority: 10}), ...[1, 2, 3, 4].map((i) => nodeSpec(`sum/slow-${i}`, ['sleep', '60']))],
    })
    expect(rigor(r.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const stopAt = `@${Math.floor(Date.now() / 1000) + 4}`
    const worked = rigor(r.dir, ['work', '--parallel', '2', '--stop-at', stopAt, '--json'])
    expect(worked.code, worked.stderr).toBe(0)
    const summary = json(worked)
    expect(summary.stopped_because).toBe('deadline')
    expect(summary.claimed).toBe(summary.finished + summary.released + summary.lost)
    const claimCommits = r.git('log', '--grep=^Rigor-Action: claim$', '--format=%(trailers:key=Rigor-Node,valueonly)')
    expect(summary.claimed).toBe(claimCommits.split('\n').filter(Boolean).length)
    expect(json(rigor(r.dir, ['status', '--json'])).by_status.running ?? 0).toBe(0)
  })
})
