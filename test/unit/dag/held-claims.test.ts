import {describe, expect, it} from 'vitest'
import {HeldClaims} from '../../../src/core/dag/claims.js'
import type {NodeFile} from '../../../src/core/schemas/index.js'

// a claim as the node file says it: the fields HeldClaims tells claims apart by
const claim = (id: string, attempt: number, startedAt: string) => ({id, attempt, started_at: startedAt}) as NodeFile

describe('HeldClaims', () => {
  it('tells a rerun claimed again (the same attempt number, a later start) from the claim it replaced', () => {
    const held = new HeldClaims()
    const first = claim('x/slow', 1, '2026-12-06T00:00:00.000Z')
    const again = claim('x/slow', 1, '2026-12-06T00:00:05.000Z')
    held.hold([first])
    expect(held.holds(first)).toBe(true)
    // the node was cancelled, rerun (attempts from zero) and claimed again: the worker holds the new claim
    held.hold([again])
    expect(held.holds(again)).toBe(true)
    expect(held.holds(first)).toBe(false)
    // the first run ending late gives up only its own claim
    held.drop('x/slow', first)
    expect(held.ids).toEqual(['x/slow'])
    held.drop('x/slow', again)
    expect(held.ids).toEqual([])
  })

  it('drops every claim of a node when no claim is named, and names what it holds in order', () => {
    const held = new HeldClaims()
    held.hold([claim('b/two', 2, '2026-12-06T00:00:00.000Z'), claim('a/one', 1, '2026-12-06T00:00:01.000Z')])
    expect(held.ids).toEqual(['a/one', 'b/two'])
    held.drop('b/two')
    expect(held.ids).toEqual(['a/one'])
  })
})
