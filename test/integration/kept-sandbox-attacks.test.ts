import {mkdtempSync, rmSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW} from '../helpers/processes.js'
import {SH_OK} from '../fixtures/runners.js'
import {workspace, writeSpec} from './helpers.js'

// The runs of one `rigor work` slot share a sandbox kept from run to run (src/core/dag/sandbox-slots.ts). With
// --parallel 1 the nodes run one after another in seed order. The first runs start in rigor's own process while its
// runner helper starts (no kept sandbox there): two quick nodes go first, and each test checks that the run it is
// about ran in a kept sandbox (its RIGOR_OUT is a slot's), so that it cannot pass without one.

let repo: TempRepo | undefined
let base: string | undefined
afterEach(() => {
  repo?.cleanup()
  if (base) rmSync(base, {recursive: true, force: true})
  repo = undefined
  base = undefined
})

const verdictOf = (id: string) => json(rigor(repo!.dir, ['show', id, '--json'])).verdict

/**
 * A runner (node -e) that runs `body`, then writes a verdict whose notes are `notes` (a JS expression). One line:
 * a newline in an argument sends the run to a sandbox of its own (sandbox-slots.ts, slotRefusal).
 */
const nodeRunner = (body: string, notes = "'ok'") => [
  process.execPath,
  '-e',
  `const fs = require('fs'); ${body}; fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes: String(${notes})}))`,
]

/** A runner that writes its verdict first, its notes its RIGOR_OUT, then runs `body` (which may take RIGOR_OUT away). */
const attacker = (body: string) => [
  process.execPath,
  '-e',
  `const fs = require('fs'); fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}, notes: process.env.RIGOR_OUT})); ${body}`,
]

/** The runs before the helper is up. */
const WARM_UP = ['0-first', '0-second'].map((id) => ({id, team: 'default', run: {command: SH_OK, timeout: '1m'}}))

/** The run `id` ran in a kept sandbox: its notes (its RIGOR_OUT) name a slot's directory. */
function ranKept(id: string): void {
  expect(verdictOf(id).notes).toMatch(/[/]rigor[/]slots[/][^/]+[/]out$/)
}

/**
 * A run claimed ahead may start in a second slot while the attacker runs (a slot busy is not taken): of three runs
 * after it, one at least takes the attacker's slot, idle again, unless it was retired.
 */
const VICTIMS = ['b-victim', 'c-victim', 'd-victim']

/** What a later run of the slot sees at the workspace's path, and that it can write its verdict. */
const VICTIM = nodeRunner('', "fs.readdirSync(process.env.RIGOR_WORKSPACE).sort().join(' ')")

function work(nodes: unknown[]): void {
  writeSpec(repo!.dir, {nodes: [...WARM_UP, ...nodes]})
  expect(rigor(repo!.dir, ['seed', 'spec.yaml']).code).toBe(0)
  const done = rigor(repo!.dir, ['work', '--parallel', '1'])
  expect(done.stderr).not.toMatch(/error in slot|Maximum call stack/)
  expect(done.code).toBe(0)
}

describe('a run in a kept sandbox cannot reach the later runs of its slot', {timeout: SLOW}, () => {
  // a workspace two levels under /dev/shm: the sandbox's /dev/shm is the slot's own directory, emptied between runs,
  // in which bwrap made the directory leading to the workspace's mount point
  it.each([
    [
      'renames the directory leading to the workspace, taking the mount with it, and plants its own',
      "const above = require('path').dirname(process.env.RIGOR_WORKSPACE); fs.renameSync(above, above + '-gone'); " +
        "fs.mkdirSync(process.env.RIGOR_OUT, {recursive: true}); fs.writeFileSync(process.env.RIGOR_WORKSPACE + '/planted.txt', 'planted')",
    ],
    [
      'takes the search right away from the directory leading to the workspace',
      "fs.chmodSync(require('path').dirname(process.env.RIGOR_WORKSPACE), 0)",
    ],
  ])('a run that %s: the next run sees the workspace and writes its verdict', (_what, attack) => {
    base = mkdtempSync('/dev/shm/rigor-kept-attack-')
    repo = workspace({base})
    work([
      {id: 'a-attack', team: 'default', run: {command: attacker(attack), timeout: '1m'}},
      ...VICTIMS.map((id) => ({id, team: 'default', run: {command: VICTIM, timeout: '1m'}})),
    ])
    ranKept('a-attack')
    for (const id of VICTIMS) {
      const victim = verdictOf(id)
      expect(victim.status).not.toBe('inconclusive')
      expect(victim.notes).toContain('rigor.yaml')
      expect(victim.notes).not.toContain('planted.txt')
    }
  })

  it("a run.env naming the launcher's own variables (setsid, out) reaches the runner and starts the runner named", () => {
    repo = workspace()
    const env = {setsid: '/bin/false', out: '/nonexistent', count: '0', line: 'x', IFS: ':'}
    work([
      {
        id: 'env-names',
        team: 'default',
        run: {
          command: nodeRunner('', "[process.env.setsid, process.env.out, process.env.count, process.env.RIGOR_OUT].join(' ')"),
          env,
          timeout: '1m',
        },
      },
    ])
    expect(verdictOf('env-names').status).toBe('proven_accepted')
    const [setsid, out, count, rigorOut] = verdictOf('env-names').notes.split(' ')
    expect([setsid, out, count]).toEqual(['/bin/false', '/nonexistent', '0'])
    expect(rigorOut).toMatch(/[/]rigor[/]slots[/][^/]+[/]out$/)
  })

  // Node 20's rmSync recursed once a level and overflowed its stack: the runner helper died with every run it held
  // (/tmp, emptied between runs), or the work loop ended (RIGOR_OUT, removed once the verdict is committed)
  it.each([
    ['/tmp', "'/tmp'"],
    ['RIGOR_OUT', 'process.env.RIGOR_OUT'],
  ])('a run that leaves a tree 2,000 directories deep in %s ends well, as do the next; the work loop lives on', (_where, dir) => {
    repo = workspace()
    const deep = `process.chdir(${dir}); for (let i = 0; i < 2000; i++) { fs.mkdirSync('d'); process.chdir('d') }`
    work([
      {id: 'a-deep', team: 'default', run: {command: attacker(deep), timeout: '1m'}},
      // the attacker's tree is gone from /tmp (which shows rigor's own install when it lies under /tmp)
      ...VICTIMS.map((id) => ({
        id,
        team: 'default',
        run: {command: nodeRunner('', "fs.readdirSync('/tmp').filter((name) => name === 'd').length"), timeout: '1m'},
      })),
    ])
    expect(verdictOf('a-deep').status).toBe('proven_accepted')
    ranKept('a-deep')
    for (const id of VICTIMS) expect(verdictOf(id)).toMatchObject({status: 'proven_accepted', notes: '0'})
  })
})
