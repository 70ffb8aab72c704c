import {describe, expect, it} from 'vitest'
import {Housekeeping} from '../../src/core/git/housekeeping.js'
import type {TextResult} from '../../src/core/git/spawn-text.js'

/** A run of git's check that ends when the test says so. */
function controlledRuns() {
  const calls: Array<() => void> = []
  const run = () =>
    new Promise<TextResult>((resolve) => {
      calls.push(() => resolve({stdout: '', stderr: '', exitCode: 0}))
    })
  return {run, calls}
}

const settle = () => new Promise((r) => setTimeout(r, 0))

/** `finish` is still waiting while git's check runs, one check runs, and it returns once that check ends. */
async function expectFinishWaitsForTheCheck(end: () => Promise<void>, calls: Array<() => void>): Promise<void> {
  let finished = false
  const ending = end().then(() => (finished = true))
  await settle()
  expect(calls).toHaveLength(1)
  expect(finished).toBe(false)
  calls[0]!()
  await ending
  expect(finished).toBe(true)
}

describe('Housekeeping', () => {
  it('starts a check every `every` objects, one at a time, in the background', async () => {
    const {run, calls} = controlledRuns()
    const keeping = new Housekeeping('/repo', run, 100)
    keeping.maybeStart(99)
    expect(calls).toHaveLength(0)
    keeping.maybeStart(100)
    expect(calls).toHaveLength(1)
    // one runs: no second beside it, and the count it started at is the next one's base
    keeping.maybeStart(250)
    expect(calls).toHaveLength(1)
    calls[0]!()
    await settle()
    keeping.maybeStart(199)
    expect(calls).toHaveLength(1)
    keeping.maybeStart(200)
    expect(calls).toHaveLength(2)
    calls[1]!()
  })

  it('at the end: a check when objects were written since the last, and the running one awaited', async () => {
    const {run, calls} = controlledRuns()
    const keeping = new Housekeeping('/repo', run, 100)
    // a command that wrote nothing asks git nothing
    await keeping.finish(0)
    expect(calls).toHaveLength(0)
    await expectFinishWaitsForTheCheck(() => keeping.finish(6), calls)
    // nothing new since: no second check
    await keeping.finish(6)
    expect(calls).toHaveLength(1)
  })

  it('the end waits for a check started in the background rather than starting another', async () => {
    const {run, calls} = controlledRuns()
    const keeping = new Housekeeping('/repo', run, 100)
    keeping.maybeStart(150)
    await expectFinishWaitsForTheCheck(() => keeping.finish(160), calls)
  })
})
