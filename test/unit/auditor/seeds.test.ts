import {describe, expect, it} from 'vitest'
import type {CheckContext} from '../../../src/core/auditor/checks/context.js'
import {seedsCheck} from '../../../src/core/auditor/checks/robustness.js'
import type {Rerun, RerunRequest} from '../../../src/core/auditor/rerun.js'
import {AuditThresholds} from '../../../src/core/schemas/audit-thresholds.js'

const dates = Array.from({length: 250}, (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10))
/** returns with a clear edge, shifted a little per seed so the spread over seeds is small */
const returns = (seed: number) => new Map(dates.map((d, i) => [d, 0.002 + 0.01 * Math.sin(i * 1.3 + seed * 0.01)] as [string, number]))

/** A check context whose runner answers each seed with `answer(seed)`. */
function context(answer: (seed: number) => Rerun): CheckContext {
  return {
    node: {id: 'x/y'} as CheckContext['node'],
    returns: returns(0),
    positions: new Map(),
    faults: [],
    family: {} as CheckContext['family'],
    costBps: 0,
    t: AuditThresholds.parse({}),
    runner: {kind: 'process', run: async (req: RerunRequest) => answer(req.seed!)},
  }
}

const ran = (seed: number): Rerun => ({ok: true, reason: '', returns: returns(seed), positions: new Map()})

describe('robustness.seeds', () => {
  it('passes an edge far above the spread over seeds', async () => {
    const outcome = await seedsCheck(context(ran))
    expect(outcome.check.result).toBe('pass')
    expect(outcome.check.figures).toMatchObject({seeds: [0, 1, 2, 3]})
    expect((outcome.check.figures as {sharpes_annualised: number[]}).sharpes_annualised).toHaveLength(4)
  })

  it('is incomplete when a seed fails: judging the seeds that ran would pass a runner that exits 1 on its unlucky ones', async () => {
    const outcome = await seedsCheck(context((seed) => (seed === 2 ? {...ran(seed), ok: false, reason: 'exited with code 1'} : ran(seed))))
    expect(outcome.check.result).toBe('error')
    expect(outcome.check.reason).toContain('failed with 1 of 3 other seeds (seed 2: exited with code 1)')
  })
})
