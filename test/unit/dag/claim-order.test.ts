import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {claimOrder, runningByTeam, waitingOnRequirements} from '../../../src/core/dag/claim-order.js'
import {blockedDependents} from '../../../src/core/dag/scheduler.js'
import type {NodeFile, NodeStatus} from '../../../src/core/schemas/index.js'
import {StateStore, type DerivedKind, type NodeRecord, type Snapshot, type SnapshotDelta} from '../../../src/core/state/store.js'
import {Repo} from '../../../src/core/git/repo.js'
import {editTree} from '../../../src/core/git/tree-edit.js'
import {nodeFilePath} from '../../../src/core/state/layout.js'
import {testNode} from '../../helpers/node-file.js'
import {gitRepo} from '../../helpers/git-repo.js'

const spec = fc.record({
  status: fc.constantFrom<NodeStatus>('pending', 'pending', 'running', 'proven_accepted', 'cancelled'),
  priority: fc.integer({min: 0, max: 2}),
  day: fc.integer({min: 1, max: 3}),
  team: fc.constantFrom('a', 'b'),
  sweep: fc.boolean(),
  requires: fc.array(fc.integer({min: 0, max: 30}), {maxLength: 2}),
})
type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never

const record = (id: string, s: Spec): NodeRecord => ({
  id,
  nodeOid: `${id}-${s.status}`,
  node: {
    id,
    team: s.team,
    status: s.status,
    priority: s.priority,
    created_at: `2026-01-0${s.day}T00:00:00.000Z`,
    requires: s.requires.map((r) => `n${r}`),
    ...(s.sweep ? {sweep: {}} : {}),
  } as unknown as NodeFile,
})

const snapshot = (nodes: Map<string, NodeRecord>, delta?: SnapshotDelta): Snapshot => ({commit: undefined, tree: undefined, nodes, delta})

// a commit: some nodes changed (a new record), removed (null) or added
const commit = fc.array(fc.tuple(fc.integer({min: 0, max: 30}), fc.option(spec, {nil: null})), {minLength: 1, maxLength: 5})

describe('the claim order and the running nodes kept from commit to commit', () => {
  it('equal what is computed from every node, after any run of commits', () => {
    fc.assert(
      fc.property(fc.array(spec, {maxLength: 30}), fc.array(commit, {minLength: 1, maxLength: 6}), (initial, commits) => {
        let nodes = new Map(initial.map((s, i) => [`n${i}`, record(`n${i}`, s)]))
        let order = claimOrder.build(snapshot(nodes))
        let running = runningByTeam.build(snapshot(nodes))
        let waiting = waitingOnRequirements.build(snapshot(nodes))
        for (const changes of commits) {
          const next = new Map(nodes)
          const ids: string[] = []
          for (const [i, s] of changes) {
            const id = `n${i}`
            if (s === null) next.delete(id)
            else next.set(id, record(id, s))
            ids.push(id)
          }
          const snap = snapshot(next, {from: nodes, to: next, ids})
          const before = order
          order = claimOrder.update(order, snap, snap.delta!)
          running = runningByTeam.update(running, snap, snap.delta!)
          waiting = waitingOnRequirements.update(waiting, snap, snap.delta!)
          expect(order).toEqual(claimOrder.build(snapshot(next)))
          expect(Object.fromEntries(running)).toEqual(Object.fromEntries(runningByTeam.build(snapshot(next))))
          expect([...waiting].sort()).toEqual([...waitingOnRequirements.build(snapshot(next))].sort())
          // the order an older snapshot was given is left as it was
          expect(before).not.toBe(order)
          nodes = next
        }
      }),
      {numRuns: 300},
    )
  })
})

describe('the claim order after a commit that changed many nodes (a fetch)', () => {
  it('equals the order built from every node (past 64 changed nodes it is sorted again rather than mended)', () => {
    const make = (status: NodeStatus, i: number) =>
      record(`n${i}`, {status, priority: i % 3, day: 1 + (i % 3), team: 'a', sweep: false, requires: []})
    const before = new Map(Array.from({length: 100}, (_, i) => [`n${i}`, make('pending', i)] as const))
    const after = new Map(before)
    const ids = Array.from({length: 80}, (_, i) => `n${i}`)
    for (const id of ids) after.set(id, make(Number(id.slice(1)) % 2 ? 'running' : 'pending', Number(id.slice(1))))
    const snap = snapshot(after, {from: before, to: after, ids})
    expect(claimOrder.update(claimOrder.build(snapshot(before)), snap, snap.delta!)).toEqual(claimOrder.build(snapshot(after)))
  })
})

describe('blockedDependents from the nodes waiting on requirements', () => {
  it('blocks the same nodes for the same reasons as a look at every node (property)', () => {
    const failing = fc.constantFrom<NodeStatus>('proven_rejected', 'inconclusive', 'cancelled', 'proven_accepted', 'running')
    fc.assert(
      fc.property(
        fc.array(spec, {maxLength: 30}),
        fc.array(fc.tuple(fc.integer({min: 0, max: 30}), failing), {maxLength: 3}),
        (initial, decided) => {
          const nodes = new Map(initial.map((s, i) => [`n${i}`, record(`n${i}`, s)]))
          const snap = snapshot(nodes)
          const overrides = new Map<string, NodeFile>()
          for (const [i, status] of decided) {
            const node = nodes.get(`n${i}`)?.node
            if (node) overrides.set(node.id, {...node, status})
          }
          const byId = (list: Array<{node: NodeFile; reason: string}>) => list.map((b) => `${b.node.id}: ${b.reason}`).sort()
          expect(byId(blockedDependents(snap, overrides, waitingOnRequirements.build(snap)))).toEqual(
            byId(blockedDependents(snap, overrides)),
          )
        },
      ),
      {numRuns: 300},
    )
  })
})

describe('StateStore.derive', () => {
  it('mends what it kept at every snapshot of the store, and computes it again for overlays', async () => {
    const repo = gitRepo()
    const git = await Repo.open(repo.dir)
    try {
      const store = new StateStore(git)
      const nodeText = (id: string, status: NodeStatus) => testNode(id, status).text
      const commitWith = async (parent: string | undefined, tree: string | undefined, files: Record<string, string>) => {
        const next = await editTree(git, tree, new Map(Object.entries(files)))
        return {commit: await git.writeCommit(next, parent ? [parent] : [], 'test'), tree: next}
      }
      const first = await commitWith(undefined, undefined, {
        [nodeFilePath('a/x')]: nodeText('a/x', 'pending'),
        [nodeFilePath('a/y')]: nodeText('a/y', 'pending'),
      })
      const second = await commitWith(first.commit, first.tree, {[nodeFilePath('a/x')]: nodeText('a/x', 'running')})
      const calls: string[] = []
      const kind: DerivedKind<number> = {
        build: (snap) => {
          calls.push('build')
          return snap.nodes.size
        },
        update: (prev, _snap, delta) => {
          calls.push(`update ${delta.ids.join(',')}`)
          return prev + 100
        },
      }
      const s1 = await store.snapshot(first.commit)
      expect(store.derive(kind, s1)).toBe(2)
      expect(store.derive(kind, s1)).toBe(2)
      const s2 = await store.snapshot(second.commit)
      expect(store.derive(kind, s2)).toBe(102)
      const overlay = {...s2, nodes: new Map(s2.nodes)}
      expect(store.derive(kind, overlay)).toBe(2)
      const s3 = await store.snapshot(first.commit)
      expect(store.derive(kind, s3)).toBe(2)
      expect(calls).toEqual(['build', 'update a/x', 'build', 'build'])
      // snapshots nobody derived from in between (a claim's claim order across the verdicts committed between two
      // claims) are followed one by one: mended, never built again
      await store.snapshot(second.commit)
      const s5 = await store.snapshot(first.commit)
      expect(store.derive(kind, s5)).toBe(202)
      expect(calls).toEqual(['build', 'update a/x', 'build', 'build', 'update a/x', 'update a/x'])
    } finally {
      await git.close()
      repo.cleanup()
    }
  })
})
