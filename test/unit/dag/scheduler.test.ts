import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {claimOrder} from '../../../src/core/dag/claim-order.js'
import {compareClaimOrder, findCandidates} from '../../../src/core/dag/scheduler.js'
import type {ConfigFile, NodeFile, NodeStatus} from '../../../src/core/schemas/index.js'
import type {NodeRecord, Snapshot} from '../../../src/core/state/store.js'

const config = {} as ConfigFile

const arbNode = fc.record({
  status: fc.constantFrom<NodeStatus>('pending', 'pending', 'pending', 'running', 'proven_accepted'),
  priority: fc.integer({min: -2, max: 2}),
  day: fc.integer({min: 1, max: 3}),
  seq: fc.option(fc.integer({min: 0, max: 3}), {nil: undefined}),
  team: fc.constantFrom('a', 'b'),
})

function snapshotOf(specs: Array<{status: NodeStatus; priority: number; day: number; seq?: number; team: string}>): Snapshot {
  const nodes = new Map<string, NodeRecord>()
  specs.forEach((spec, i) => {
    const id = `n/${String(i).padStart(3, '0')}`
    const node = {
      id,
      team: spec.team,
      status: spec.status,
      priority: spec.priority,
      seq: spec.seq,
      requires: [],
      created_at: `2026-01-0${spec.day}T00:00:00.000Z`,
    } as unknown as NodeFile
    nodes.set(id, {id, nodeOid: String(i), node})
  })
  return {commit: undefined, tree: undefined, nodes}
}

describe('findCandidates', () => {
  it('walking the kept claim order gives exactly the first nodes of the full pass', () => {
    fc.assert(
      fc.property(
        fc.array(arbNode, {maxLength: 40}),
        fc.integer({min: 1, max: 10}),
        fc.option(fc.constantFrom('a', 'b')),
        (specs, limit, team) => {
          const snap = snapshotOf(specs)
          const filter = team ? {team} : {}
          const all = findCandidates(snap, config, filter)
          const best = findCandidates(snap, config, filter, undefined, {order: claimOrder.build(snap), limit})
          expect(best.ready.map((n) => n.id)).toEqual(all.ready.slice(0, limit).map((n) => n.id))
          expect(best.reason).toBe(all.reason)
        },
      ),
    )
  })

  it('orders by priority, then creation time, then seed order, then id, whatever the locale', () => {
    const node = (id: string, priority: number, created_at: string, seq?: number) => ({id, priority, created_at, seq}) as NodeFile
    const sorted = [
      node('z', 1, '2026-01-02T00:00:00.000Z'),
      node('b', 0, '2026-01-01T00:00:00.000Z', 0),
      node('a', 0, '2026-01-01T00:00:00.000Z', 1),
      node('B', 0, '2026-01-01T00:00:00.000Z', 2),
      node('a', 0, '2026-01-01T00:00:00.000Z', 2),
      node('x', 0, '2026-01-03T00:00:00.000Z'),
    ]
    expect([...sorted].reverse().sort(compareClaimOrder)).toEqual(sorted)
  })
})
