import {describe, expect, it} from 'vitest'
import {CLAIM_AHEAD_BELOW_MS, claimAheadWanted, RecentRunTimes} from '../../../src/core/flows/worker.js'

describe('claimAheadWanted', () => {
  const busy = {running: 4, parallel: 4, distributed: false, recentRunMs: 200}

  it('claims ahead when every slot runs and recent runs were short', () => {
    expect(claimAheadWanted(busy)).toBe(true)
    expect(claimAheadWanted({...busy, running: 5})).toBe(true)
  })

  it('not while a slot has no node, before any run ended, for long runs, nor through a remote', () => {
    expect(claimAheadWanted({...busy, running: 3})).toBe(false)
    expect(claimAheadWanted({...busy, recentRunMs: undefined})).toBe(false)
    expect(claimAheadWanted({...busy, recentRunMs: CLAIM_AHEAD_BELOW_MS})).toBe(false)
    expect(claimAheadWanted({...busy, distributed: true})).toBe(false)
  })
})

describe('RecentRunTimes', () => {
  it('is a running mean weighted towards the latest runs', () => {
    const times = new RecentRunTimes()
    expect(times.mean).toBeUndefined()
    times.add(100)
    expect(times.mean).toBe(100)
    times.add(1100)
    expect(times.mean).toBeCloseTo(400)
    // a long run after short ones turns the mean long within a few runs
    for (let i = 0; i < 5; i++) times.add(10_000)
    expect(times.mean).toBeGreaterThan(CLAIM_AHEAD_BELOW_MS)
  })
})
