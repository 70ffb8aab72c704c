import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pidsInDir, SLOW} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

// records its parent's pid and command line (no sandbox: it writes into .git, which a sandbox hides). A runner
// started before the helper was ready (by rigor itself) holds its slot until the helper process is there, and two
// seconds more for it to say it is ready (at most a minute): on a loaded machine six quick runs all came before it
const RECORD_PARENT = [
  'sh',
  '-c',
  [
    'echo "$PPID $(tr "\\000" " " < /proc/$PPID/cmdline)" >> "$RIGOR_TEST_PARENTS"',
    // the helper is rigor's child: a process whose parent is ours; [s] keeps this script's own command line from matching
    'helper_up() { for d in /proc/[0-9]*; do read -r _ _ _ pp _ < $d/stat 2>/dev/null || continue; [ "$pp" = "$PPID" ] && grep -qs "runner-helper-proces[s]" $d/cmdline && return 0; done; return 1; }',
    'if ! grep -q runner-helper-process /proc/$PPID/cmdline; then',
    '  i=0; while [ $i -lt 600 ] && ! helper_up; do sleep 0.1; i=$((i+1)); done; sleep 2',
    'fi',
    'printf \'{"metrics":{"sharpe":1}}\' > "$RIGOR_OUT/verdict.json"',
  ].join('\n'),
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
