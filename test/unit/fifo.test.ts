import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {Fifo} from '../../src/core/git/fifo.js'

describe('Fifo (the queue of reads waiting on git cat-file)', () => {
  it('gives back what was pushed, first in first out, as an array used as a queue does, through any run of pushes, shifts and takes', () => {
    const step = fc.oneof(
      fc.record({push: fc.integer({min: 1, max: 3000})}),
      fc.record({shift: fc.integer({min: 1, max: 3000})}),
      fc.constant({takeAll: true as const}),
    )
    fc.assert(
      fc.property(fc.array(step, {maxLength: 12}), (steps) => {
        const fifo = new Fifo<number>()
        const model: number[] = []
        let next = 0
        for (const s of steps) {
          if ('push' in s)
            for (let i = 0; i < s.push; i++) {
              fifo.push(next)
              model.push(next++)
            }
          else if ('shift' in s) for (let i = 0; i < s.shift; i++) expect(fifo.shift()).toBe(model.shift())
          else expect(fifo.takeAll()).toEqual(model.splice(0))
          expect(fifo.length).toBe(model.length)
        }
      }),
      {numRuns: 300},
    )
  })
})
