import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {actionsPerNode, manyNodes, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const SLOW_OK = ['sh', '-c', 'sleep 0.5; printf \'{"metrics":{"sharpe":1.0,"win_rate":0.6}}\' > "$RIGOR_OUT/verdict.json"']

describe('rigor cycle', () => {
  it('killed in the middle and run again, finishes the cycle without running any node twice', async () => {
    repo = workspace()
    writeSpec(repo.dir, manyNodes(12, SLOW_OK))
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const first = rigorAsync(repo.dir, ['cycle', '--parallel', '2'])
    // wait until a few verdicts landed, then kill the cycle hard
    for (let i = 0; i < 200 && actionsPerNode(repo, 'verdict').size < 3; i++) await sleep(100)
    first.kill('SIGKILL')
    await first
    expect(existsSync(join(repo.dir, '.git/rigor/cycle.json'))).toBe(true)
    const finishedBefore = actionsPerNode(repo, 'verdict').size
    expect(finishedBefore).toBeGreaterThan(0)
    expect(finishedBefore).toBeLessThan(12)

    // a SIGKILL inside rigor's move of the branch leaves its refs/heads/main.lock behind; it names the dead process,
    // and the resumed cycle removes it (git/ref-lock-owner.ts)
    const second = rigor(repo.dir, ['cycle', '--parallel', '2', '--json'])
    expect(second.code, `${second.stderr}${second.stdout}`).toBe(0)
    const result = json(second)
    expect(result.resumed).toBe(true)
    expect(result.report.files[0]).toMatch(/^reports\/\d{4}-\d{2}-\d{2}\.md$/)
    const verdicts = actionsPerNode(repo, 'verdict')
    for (let i = 0; i < 12; i++) expect(verdicts.get(`bulk/n${String(i).padStart(4, '0')}`)).toBe(1)
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status.running).toBe(0)
    expect(existsSync(join(repo.dir, '.git/rigor/cycle.json'))).toBe(false)
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })
})
