import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pidsInDir, SLOW} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// records its parent's pid and command line (no sandbox: it writes into .git, which a sandbox hides)
const RECORD_PARENT = [
  'sh',
  '-c',
  'echo "$PPID $(tr "\\000" " " < /proc/$PPID/cmdline)" >> "$RIGOR_TEST_PARENTS"; printf \'{"metrics":{"sharpe":1}}\' > "$RIGOR_OUT/verdict.json"',
]

describe('rigor work starts runners from its runner helper', {timeout: SLOW}, () => {
  it("every runner is the helper's child, not the work loop's, and nothing is left once rigor exits", async () => {
    repo = workspace()
    const nodes = Array.from({length: 6}, (_, i) => ({id: `h/n${i}`, team: 'default', run: {command: RECORD_PARENT, sandbox: 'off'}}))
    writeSpec(repo.dir, {nodes})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const parents = join(repo.dir, '.git', 'parents.txt')
    const work = rigorAsync(repo.dir, ['work', '--parallel', '2', '--json'], {RIGOR_TEST_PARENTS: parents})
    const done = await work
    expect(done.code).toBe(0)
    expect(json(done).by_status).toEqual({proven_accepted: 6})
    const lines = readFileSync(parents, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(6)
    const helpers = new Set(lines.map((line) => Number(line.split(' ')[0])))
    // the first runners may start before the helper is ready (from rigor itself); the rest come from the helper
    const fromHelper = lines.filter((line) => line.includes('runner-helper-process.js'))
    expect(fromHelper.length).toBeGreaterThan(0)
    for (const line of lines) expect(Number(line.split(' ')[0]) === work.pid || line.includes('runner-helper-process.js')).toBe(true)
    expect(helpers.size).toBeLessThanOrEqual(2)
    // rigor waited for its helper to leave
    expect(pidsInDir(repo.dir)).toEqual([])
  })
})
