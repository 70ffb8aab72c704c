import {existsSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_GATED, SH_OK} from '../fixtures/runners.js'
import {pidsWithEnv, runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {manyNodes, workspace, writeSpec} from './helpers.js'
import {git, remoteWithClones, removeRoot} from './remote-helpers.js'

/**
 * `rigor work --prefetch K`: K nodes claimed in one commit (one push through a
 * remote), each with its own lease, and whatever was claimed ahead but not
 * started put back when the worker stops.
 */
const FOREVER = ['node', join(resolve(__dirname, '../fixtures'), 'forever-runner.cjs')]
let root: string | undefined
let repo: TempRepo | undefined
afterEach(() => {
  removeRoot(root)
  repo?.cleanup()
  root = undefined
  repo = undefined
})

/** Claims per node over every claim commit of `ref` in `dir`: a batch claim names each of its nodes. */
function claimsPerNode(dir: string, ref: string, action = 'claim'): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of git(dir, 'log', '--format=%B%x00', ref).split('\0')) {
    if (!new RegExp(`^Rigor-Action: ${action}$`, 'm').test(message)) continue
    const nodes = [...message.matchAll(/^Rigor-Node: (.+)$/gm)].map((m) => m[1]!)
    // a verdict's further nodes are the ones it spawned
    for (const node of action === 'claim' ? nodes : nodes.slice(0, 1)) counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}

describe('claiming ahead', {timeout: SLOW}, () => {
  it('2 clones x 2 workers with --prefetch 3 through a bare remote: each node claimed once and run once', async () => {
    const NODES = 18
    const made = remoteWithClones(2, manyNodes(NODES, SH_OK))
    root = made.root
    const workers = made.clones.flatMap((dir, i) =>
      [0, 1].map((j) => rigorAsync(dir, ['work', '--remote', 'origin', '--prefetch', '3', '--worker', `c${i}w${j}`, '--json'])),
    )
    const results = await Promise.all(workers)
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    expect(results.map((r) => json(r).finished as number).reduce((a, b) => a + b, 0)).toBe(NODES)
    const claims = claimsPerNode(made.bare, 'main')
    const verdicts = claimsPerNode(made.bare, 'main', 'verdict')
    for (let i = 0; i < NODES; i++) {
      const id = `bulk/n${String(i).padStart(4, '0')}`
      expect(claims.get(id), `claims of ${id}`).toBe(1)
      expect(verdicts.get(id), `verdicts of ${id}`).toBe(1)
    }
    // some claim commit did take several nodes at once
    const batches = git(made.bare, 'log', '--format=%s', '--grep=^Rigor-Action: claim$', 'main').split('\n')
    expect(
      batches.some((subject) => /^rigor: claim \d+ nodes$/.test(subject)),
      batches.join('\n'),
    ).toBe(true)
  })

  it("a batch keeps to the team's max_parallel: the nodes claimed ahead count as running", async () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default, max_parallel: 2}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\n`,
    )
    repo.git('commit', '-qam', 'two at a time')
    writeSpec(repo.dir, manyNodes(5, SH_OK))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const done = await rigorAsync(repo.dir, ['work', '--prefetch', '5', '--json'])
    expect(done.code, done.stderr).toBe(0)
    expect(json(done).finished).toBe(5)
    const batches = git(repo.dir, 'log', '--reverse', '--format=%B%x00', '--grep=^Rigor-Action: claim$', 'main').split('\0')
    const sizes = batches.filter((b) => b.trim()).map((b) => (b.match(/^Rigor-Node: /gm) ?? []).length)
    expect(sizes[0]).toBe(2)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2)
  })

  it('SIGTERM puts back the nodes claimed ahead and never started, their attempt not counted', async () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: Array.from({length: 6}, (_, i) => ({id: `p/n${i}`, team: 'default', run: {command: FOREVER}}))})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const worker = rigorAsync(repo.dir, ['work', '--prefetch', '4', '--json'])
    await waitFor('the first runner ready', () =>
      runDirs(repo!.dir).some((run) => existsSync(join(repo!.dir, '.git/rigor/runs', run, 'out/ready'))),
    )
    // one commit claimed four nodes; one of them runs
    const batch = git(repo.dir, 'log', '-1', '--format=%B', '--grep=^Rigor-Action: claim$', 'main')
    expect(batch.match(/^Rigor-Node: /gm)).toHaveLength(4)
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status.running).toBe(4)
    worker.kill('SIGTERM')
    const done = await worker
    expect(done.code, done.stderr).toBe(143)
    // claimed counts every node the claim commits held, started or not: finished + released + lost
    expect(json(done)).toMatchObject({claimed: 4, released: 4, finished: 0, stopped_because: 'interrupted'})
    await waitFor('no runner process left', () => pidsWithEnv(`RIGOR_WORKSPACE=${repo!.dir}`).length === 0)
    const status = json(rigor(repo.dir, ['status', '--json']))
    expect(status.by_status).toMatchObject({running: 0, pending: 6})
    for (let i = 0; i < 6; i++) expect(json(rigor(repo.dir, ['show', `p/n${i}`, '--json'])).attempt, `p/n${i}`).toBe(0)
  })

  // a node claimed ahead kept the lease of its claim until a slot took it: behind a run longer than the lease,
  // `rigor supervise` re-queued it (its attempt counted, `inconclusive` after max_attempts, never run)
  it('a node claimed ahead keeps its lease while it waits behind a run longer than the lease', async () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\nlease: {duration: 6s, max_attempts: 3}\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\n`,
    )
    repo.git('commit', '-qam', 'short leases')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'p/first', team: 'default', priority: 10, run: {command: SH_GATED}},
        {id: 'p/waits', team: 'default', run: {command: SH_OK}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const worker = rigorAsync(repo.dir, ['work', '--prefetch', '2', '--json'])
    await waitFor('the first node running, the second claimed with it', () =>
      runDirs(repo!.dir).some((run) => existsSync(join(repo!.dir, '.git/rigor/runs', run, 'out/started'))),
    )
    const claimedUntil = Date.parse(json(rigor(repo.dir, ['show', 'p/waits', '--json'])).lease_until)
    await waitFor('the lease of the claim to have passed', () => Date.now() > claimedUntil + 500)
    const waiting = json(rigor(repo.dir, ['show', 'p/waits', '--json']))
    expect(waiting.status).toBe('running')
    expect(Date.parse(waiting.lease_until)).toBeGreaterThan(claimedUntil)
    expect(json(rigor(repo.dir, ['supervise', '--once', '--json'])).supervised.requeued).toEqual([])
    writeFileSync(join(repo.dir, 'gate'), '')
    const done = await worker
    expect(done.code, done.stderr).toBe(0)
    expect(json(done)).toMatchObject({claimed: 2, finished: 2, by_status: {proven_accepted: 2}})
    expect(json(rigor(repo.dir, ['show', 'p/waits', '--json'])).attempt).toBe(1)
  })

  // it started, and the watcher stopped it a poll later (2 s through a remote): a cancelled node ran for nothing
  it('a node cancelled while it waits in the batch never starts: the worker looks before starting it', async () => {
    repo = workspace()
    const startedFile = join(repo.dir, '.git', 'late.pids')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'p/first', team: 'default', priority: 10, run: {command: SH_GATED}},
        {id: 'p/late', team: 'default', run: {command: FOREVER, sandbox: 'off', env: {RIGOR_PIDS_FILE: startedFile}}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const worker = rigorAsync(repo.dir, ['work', '--prefetch', '2', '--json'])
    await waitFor('the first node running, the second claimed with it', () =>
      runDirs(repo!.dir).some((run) => existsSync(join(repo!.dir, '.git/rigor/runs', run, 'out/started'))),
    )
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status.running).toBe(2)
    expect(rigor(repo.dir, ['cancel', 'p/late']).code).toBe(0)
    writeFileSync(join(repo.dir, 'gate'), '')
    const done = await worker
    expect(done.code, done.stderr).toBe(0)
    expect(json(done)).toMatchObject({claimed: 2, finished: 2, by_status: {proven_accepted: 1, cancelled: 1}})
    expect(existsSync(startedFile), "the cancelled node's runner started").toBe(false)
    const late = json(rigor(repo.dir, ['show', 'p/late', '--json']))
    expect(late.status).toBe('cancelled')
    expect(late.verdict).toMatchObject({status: 'cancelled', decided_by: 'cancel'})
  })
})
