import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {LayeredMap} from '../../src/core/state/layered-map.js'

describe('LayeredMap', () => {
  it('behaves as a Map copied and changed version after version, order included, and leaves older versions alone', () => {
    const key = fc.integer({min: 0, max: 120}).map((n) => `k${n}`)
    const round = fc.array(fc.tuple(key, fc.option(fc.integer(), {nil: undefined})), {maxLength: 40})
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer()), {maxLength: 100}), fc.array(round, {maxLength: 12}), (initial, rounds) => {
        let plain = new Map(initial)
        let layered = LayeredMap.of(initial)
        const versions: Array<[LayeredMap<string, number>, Array<[string, number]>]> = [[layered, [...plain]]]
        for (const updates of rounds) {
          plain = new Map(plain)
          for (const [k, v] of updates) {
            if (v === undefined) plain.delete(k)
            else plain.set(k, v)
          }
          layered = layered.with(updates)
          expect([...layered]).toEqual([...plain])
          expect([...layered.keys()]).toEqual([...plain.keys()])
          expect([...layered.values()]).toEqual([...plain.values()])
          expect(layered.size).toBe(plain.size)
          for (let n = 0; n <= 120; n++) {
            expect(layered.get(`k${n}`)).toBe(plain.get(`k${n}`))
            expect(layered.has(`k${n}`)).toBe(plain.has(`k${n}`))
          }
          versions.push([layered, [...plain]])
        }
        for (const [version, entries] of versions) expect([...version.entries()]).toEqual(entries)
        const seen: string[] = []
        layered.forEach((v, k) => seen.push(`${k}=${v}`))
        expect(seen).toEqual([...plain].map(([k, v]) => `${k}=${v}`))
        expect(new Map(layered)).toEqual(plain)
      }),
      {numRuns: 300},
    )
  })
})
