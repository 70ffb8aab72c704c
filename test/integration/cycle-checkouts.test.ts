import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {cycleWorker} from '../../src/core/flows/cycle.js'
import {json, rigor} from '../helpers/cli.js'
import {nodeSpec} from './helpers.js'
import {git, remoteWithClones, removeRoot} from './remote-helpers.js'

let root: string | undefined
afterEach(() => removeRoot(root))

/** The pid of a process that has ended: a cycle killed before it could close its record. */
const deadPid = (): number => spawnSync('true').pid!

describe('two checkouts on one machine, sharing a remote', () => {
  it("cancelling one checkout's killed cycle puts back its own claims, never those of the other's live cycle", () => {
    const made = remoteWithClones(2, {nodes: [nodeSpec('c/a'), nodeSpec('c/b')]})
    root = made.root
    const [a, b] = made.clones as [string, string]
    const nameA = cycleWorker(join(a, '.git'))
    const nameB = cycleWorker(join(b, '.git'))
    expect(nameA).not.toBe(nameB)
    // stable for a checkout: a rerun there takes back what its crashed cycle held
    expect(cycleWorker(join(a, '.git'))).toBe(nameA)
    // a's cycle holds one node; b's, killed, held the other
    const heldByA = rigor(a, ['claim', '--worker', nameA, '--remote', 'origin'])
    expect(heldByA.code, heldByA.stderr).toBe(0)
    const heldByB = rigor(b, ['claim', '--worker', nameB, '--remote', 'origin'])
    expect(heldByB.code, heldByB.stderr).toBe(0)
    mkdirSync(join(b, '.git', 'rigor'), {recursive: true})
    const record = {id: 'killed', started_at: new Date().toISOString(), pid: deadPid(), done: [], results: {}}
    writeFileSync(join(b, '.git', 'rigor', 'cycle.json'), JSON.stringify(record))

    const cancel = rigor(b, ['cycle', 'cancel', '--remote', 'origin', '--json'])
    expect(cancel.code, cancel.stdout).toBe(0)
    expect(json(cancel).released).toEqual([heldByB.stdout.trim()])
    const node = (id: string) => git(made.bare, 'show', `main:experiments/${id}/node.yaml`)
    expect(node(heldByA.stdout.trim())).toContain(`worker: ${nameA}`)
    expect(node(heldByA.stdout.trim())).toContain('status: running')
    expect(node(heldByB.stdout.trim())).toContain('status: pending')
  })
})
