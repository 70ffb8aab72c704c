import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {manyNodes, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/** a runner that works a little and reports what it cost */
const COSTLY = ['sh', '-c', 'sleep 0.3; printf \'{"metrics":{"sharpe":1.0},"cost":{"usd":0.3,"tokens_in":1000,"tokens_out":500}}\' > "$RIGOR_OUT/verdict.json"']

describe('the daily budget', () => {
  it('4 concurrent workers never spend past daily_usd; the next claim answers budget_exhausted', async () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nbudget: {daily_usd: 1.0, reserve_per_run_usd: 0.3}\n`,
    )
    repo.git('commit', '-qam', 'budget')
    writeSpec(repo.dir, manyNodes(20, COSTLY))
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const polled = json(rigor(repo.dir, ['status', '--json']))
    expect(polled.by_status.pending).toBe(20)
    const results = await Promise.all([0, 1, 2, 3].map((i) => rigorAsync(repo.dir, ['work', '--parallel', '2', '--worker', `b${i}`, '--json'])))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const ran = results.map((r) => json(r).finished as number).reduce((a, b) => a + b, 0)
    expect(ran).toBe(3)
    expect(results.some((r) => json(r).stopped_because === 'budget_exhausted')).toBe(true)
    let spent = 0
    for (let i = 0; i < 20; i++) {
      const shown = json(rigor(repo.dir, ['show', `bulk/n${String(i).padStart(4, '0')}`, '--json']))
      spent += shown.verdict?.cost?.usd ?? 0
    }
    expect(spent).toBeLessThanOrEqual(1.0)
    const next = rigor(repo.dir, ['claim', '--json'])
    expect(next.code).toBe(3)
    expect(json(next).error.message).toContain('budget_exhausted')
  })
})
