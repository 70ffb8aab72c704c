import {describe, expect, it} from 'vitest'
import {requirementCycle} from '../../../src/core/dag/seed.js'
import type {NodeDraft} from '../../../src/core/schemas/index.js'
import type {Snapshot} from '../../../src/core/state/store.js'

/** A DAG of nodes by their requirements (only what requirementCycle reads). */
function dag(requires: Record<string, string[]>): Snapshot {
  const nodes = new Map(Object.entries(requires).map(([id, reqs]) => [id, {id, node: {id, requires: reqs}}]))
  return {nodes} as unknown as Snapshot
}
const draft = (id: string, requires: string[]) => ({id, requires}) as unknown as NodeDraft

describe('requirementCycle', () => {
  it('follows a chain of 50,000 requirements in the DAG without overflowing the stack', () => {
    const chain: Record<string, string[]> = {}
    for (let i = 0; i < 50_000; i++) chain[`c/n${i}`] = i ? [`c/n${i - 1}`] : []
    expect(requirementCycle([draft('d/new', ['c/n49999'])], dag(chain))).toBeUndefined()
    // the same chain closed by the new node: the whole cycle, from where it starts
    chain['c/n0'] = ['d/new']
    const cycle = requirementCycle([draft('d/new', ['c/n49999'])], dag(chain))
    expect(cycle).toHaveLength(50_002)
    expect(cycle!.slice(0, 3)).toEqual(['d/new', 'c/n49999', 'c/n49998'])
    expect(cycle!.slice(-2)).toEqual(['c/n0', 'd/new'])
  })

  it('names a node that requires itself, and a cycle among drafts after a branch that had none', () => {
    expect(requirementCycle([draft('a', ['a'])], dag({}))).toEqual(['a', 'a'])
    expect(requirementCycle([draft('a', ['x', 'b']), draft('b', ['c']), draft('c', ['a'])], dag({x: []}))).toEqual(['a', 'b', 'c', 'a'])
  })
})
