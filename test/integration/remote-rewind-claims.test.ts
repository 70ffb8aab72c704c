import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigorAsync} from '../helpers/cli.js'
import {SH_GATED} from '../fixtures/runners.js'
import {runDirs, waitFor} from '../helpers/processes.js'
import {nodeSpec} from './helpers.js'
import {git, remoteWithClones, removeRoot} from './remote-helpers.js'

let root: string | undefined
let worker: {kill: (sig?: NodeJS.Signals) => boolean} | undefined
afterEach(() => {
  worker?.kill('SIGKILL')
  removeRoot(root)
})

describe('a worker stopped by a rewind of the remote branch', () => {
  // the worker said every claim it held was "still claimed by w ... back to pending once their lease expires", also
  // the claims the rewind had dropped from the remote: those are pending there already, and no lease brings them back
  it('names the claims the rewound remote still holds apart from those the rewind dropped', {timeout: 120_000}, async () => {
    const made = remoteWithClones(1, {nodes: [nodeSpec('g/a', SH_GATED), nodeSpec('g/b', SH_GATED)]})
    root = made.root
    const {bare, clones} = made
    const clone = clones[0]!
    const run = rigorAsync(clone, ['work', '--remote', 'origin', '--worker', 'w', '--parallel', '2', '--prefetch', '1', '--json'])
    worker = run
    await waitFor(
      'both runners to start',
      () => runDirs(clone).filter((dir) => existsSync(join(clone, '.git/rigor/runs', dir, 'out/started'))).length === 2,
    )
    // rewound to the first claim: one node claimed by w there, the other pending
    const claims = git(bare, 'log', '--reverse', '--format=%H', '--grep=^Rigor-Action: claim$', 'main').split('\n')
    expect(claims).toHaveLength(2)
    const kept = /^Rigor-Node: (.+)$/m.exec(git(bare, 'log', '-1', '--format=%B', claims[0]!))![1]!
    const dropped = kept === 'g/a' ? 'g/b' : 'g/a'
    git(bare, 'update-ref', 'refs/heads/main', claims[0]!)
    // the runs end: their verdicts meet the rewind
    writeFileSync(join(clone, 'gate'), '')
    const result = await run
    expect(result.code, result.stderr).toBe(1)
    const {message} = json(result).error
    expect(message).toContain('was rewound')
    expect(message).toContain(`still claimed by w on the rewound remote: ${kept}`)
    expect(message).toMatch(new RegExp(`not claimed on the rewound remote[^\\n]*: ${dropped}`))
    // reading the rewound tip took nothing of it: the clone still refuses it until a person decides
    expect(git(clone, 'rev-parse', 'refs/remotes/origin/main')).not.toBe(claims[0])
    expect(message).not.toContain(`still claimed by w: ${[kept, dropped].sort().join(', ')}`)
  })
})
