import {describe, expect, it} from 'vitest'
import type {NodeFile} from '../../../src/core/schemas/index.js'
import type {NodeRecord, Snapshot} from '../../../src/core/state/store.js'
import {summariseStatus} from '../../../src/core/views/status.js'

const node = (id: string, team: string, extra: Partial<NodeFile> = {}): NodeRecord => ({
  id,
  nodeOid: `oid-${id}`,
  node: {id, team, status: 'proven_accepted', ...extra} as NodeFile,
})

const snap: Snapshot = {
  commit: 'c0ffee',
  tree: undefined,
  nodes: new Map(
    [
      node('d/a', 'default', {archived: true}),
      node('d/b', 'default', {archived: true}),
      node('d/sweep', 'default', {sweep: true}),
      node('d/c', 'default', {status: 'pending'}),
      node('o/a', 'other'),
    ].map((r) => [r.id, r]),
  ),
}

describe('summariseStatus', () => {
  it('counts every team without a filter', () => {
    const all = summariseStatus(snap)
    expect(all).toMatchObject({total: 4, sweeps: 1, archived: 2})
    expect(all.by_status).toMatchObject({proven_accepted: 3, pending: 1})
  })

  it("with a team counts only that team's nodes, sweep groups and archived nodes", () => {
    const other = summariseStatus(snap, {team: 'other'})
    expect(other).toMatchObject({total: 1, sweeps: 0, archived: 0, by_team: {other: {proven_accepted: 1}}})
    expect(other.by_status).toMatchObject({proven_accepted: 1, pending: 0})
    expect(summariseStatus(snap, {team: 'default'})).toMatchObject({total: 3, sweeps: 1, archived: 2})
  })

  it('lists a team that has no node yet, with no counts', () => {
    expect(summariseStatus(snap, {team: 'empty'})).toMatchObject({total: 0, sweeps: 0, archived: 0, by_team: {empty: {}}})
  })
})
