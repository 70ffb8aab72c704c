import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_GATED, SH_OK} from '../fixtures/runners.js'
import {pidsWithEnv, runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {actionsPerNode, workspace, writeSpec} from './helpers.js'
import {probeSandbox} from '../../src/core/dag/sandbox.js'

const HAS_BWRAP = (await probeSandbox()).ok

// While every slot runs a short run, `rigor work` claims the next node ahead and makes it ready
// (src/core/flows/worker.ts): the slot that ends first starts it at once. Two quick nodes first make the
// runs "short"; then gated nodes (SH_GATED) run until the test creates the gate file.

let repo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
})

function seedQuickThenGated(dir: string, gated: number, sandbox: 'auto' | 'off'): void {
  const quick = [0, 1].map((i) => ({id: `quick/q${i}`, team: 'default', priority: 10, run: {command: SH_OK, sandbox}}))
  const gatedNodes = Array.from({length: gated}, (_, i) => ({id: `gated/g${i}`, team: 'default', run: {command: SH_GATED, sandbox}}))
  writeSpec(dir, {nodes: [...quick, ...gatedNodes]})
  expect(rigor(dir, ['seed', 'spec.yaml']).code).toBe(0)
}

const startedRunners = (dir: string) => runDirs(dir).filter((run) => existsSync(join(dir, '.git/rigor/runs', run, 'out/started'))).length
const status = (dir: string) => json(rigor(dir, ['status', '--json']))
/** Two gated runners started, and a third node claimed for whichever of them ends first. */
const twoRunningOneAhead = (dir: string) =>
  waitFor('two gated runners and one node claimed ahead', () => startedRunners(dir) === 2 && status(dir).by_status.running === 3)

// with the sandbox the node held ahead waits in a bwrap already set up; without it nothing is started until a slot takes it
describe.each([
  ['in the sandbox', 'auto' as const],
  ['without the sandbox', 'off' as const],
])('claiming the next node while short runs run, %s', {timeout: SLOW}, (_name, sandbox) => {
  it('holds one node ahead of two busy slots, starts it next, and claims every node once', async () => {
    repo = workspace()
    seedQuickThenGated(repo.dir, 4, sandbox)
    const worker = rigorAsync(repo.dir, ['work', '--parallel', '2', '--json'])
    await twoRunningOneAhead(repo.dir)
    expect(status(repo.dir).by_status).toMatchObject({proven_accepted: 2, running: 3, pending: 1})
    // the node held ahead is ready to start: its run directory made, its sandbox up and waiting, its runner not started
    const held = runDirs(repo.dir).filter((run) => !existsSync(join(repo!.dir, '.git/rigor/runs', run, 'out/started')))
    expect(held).toHaveLength(1)
    const heldId = held[0]!.split('.')[0]!.replace('__', '/')
    // nothing of its runner runs yet; in the sandbox a kept one waits for it beside the two busy slots' own
    expect(pidsWithEnv(`RIGOR_NODE_ID=${heldId}`)).toEqual([])
    if (sandbox !== 'off' && HAS_BWRAP) {
      const slots = readdirSync(join(repo.dir, '.git/rigor/slots')).filter((name) => !name.endsWith('.launcher'))
      expect(slots.length).toBeGreaterThanOrEqual(3)
    }
    const gateAt = Date.now()
    writeFileSync(join(repo.dir, 'gate'), '')
    const done = await worker
    expect(done.code, done.stderr).toBe(0)
    expect(json(done)).toMatchObject({claimed: 6, finished: 6, released: 0, stopped_because: 'empty'})
    // its time counts from its start, not from its claim
    const verdict = json(rigor(repo.dir, ['show', heldId, '--json'])).verdict
    expect(Date.parse(verdict.started_at)).toBeGreaterThanOrEqual(gateAt)
    const claims = actionsPerNode(repo, 'claim')
    for (const id of ['quick/q0', 'quick/q1', 'gated/g0', 'gated/g1', 'gated/g2', 'gated/g3']) expect(claims.get(id), id).toBe(1)
  })

  it('SIGKILL of the worker: the node held ahead never runs', async () => {
    repo = workspace()
    seedQuickThenGated(repo.dir, 4, sandbox)
    const worker = rigorAsync(repo.dir, ['work', '--parallel', '2', '--json'])
    await twoRunningOneAhead(repo.dir)
    const held = runDirs(repo.dir).find((run) => !existsSync(join(repo!.dir, '.git/rigor/runs', run, 'out/started')))!
    worker.kill('SIGKILL')
    await worker
    // in the sandbox the runners and the waiting sandbox go with the worker's helper; without it the runners outlive a
    // SIGKILLed worker (rigor supervise's job) and are let finish here; once nothing is left, nothing can start later
    writeFileSync(join(repo.dir, 'gate'), '')
    await waitFor('no runner process left', () => pidsWithEnv(`RIGOR_WORKSPACE=${repo!.dir}`).length === 0)
    expect(existsSync(join(repo.dir, '.git/rigor/runs', held, 'out/started'))).toBe(false)
  })

  it('SIGTERM puts the node claimed ahead back with the stopped runs, no attempt counted', async () => {
    repo = workspace()
    seedQuickThenGated(repo.dir, 4, sandbox)
    const worker = rigorAsync(repo.dir, ['work', '--parallel', '2', '--json'])
    await twoRunningOneAhead(repo.dir)
    worker.kill('SIGTERM')
    const done = await worker
    expect(done.code, done.stderr).toBe(143)
    // two quick nodes and two gated ones were started, one more held ahead (claimed too); the two gated runs and the
    // node held ahead go back
    expect(json(done)).toMatchObject({claimed: 5, finished: 2, released: 3, stopped_because: 'interrupted'})
    await waitFor('no runner process left', () => pidsWithEnv(`RIGOR_WORKSPACE=${repo!.dir}`).length === 0)
    expect(status(repo.dir).by_status).toMatchObject({proven_accepted: 2, running: 0, pending: 4})
    for (let i = 0; i < 4; i++) expect(json(rigor(repo.dir, ['show', `gated/g${i}`, '--json'])).attempt, `gated/g${i}`).toBe(0)
  })
})
