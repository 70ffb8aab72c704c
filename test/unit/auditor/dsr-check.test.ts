import {describe, expect, it} from 'vitest'
import type {CheckContext} from '../../../src/core/auditor/checks/context.js'
import {dsrCheck} from '../../../src/core/auditor/checks/overfitting.js'
import {AuditThresholds} from '../../../src/core/schemas/audit-thresholds.js'

/** `n` daily returns with a steady edge: 1% a day, give or take 0.01%. */
const steady = (n: number): Map<string, number> =>
  new Map(Array.from({length: n}, (_, i) => [new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10), 0.01 + 0.0001 * Math.sin(i)]))

function context(returns: Map<string, number>): CheckContext {
  return {
    returns,
    family: {members: [{id: 'x/y', returns}], trials: 1, trials_outside_declared: 0, trials_outside_runners: 0, counted: 'N = 1'},
    t: AuditThresholds.parse({}),
  } as unknown as CheckContext
}

describe('overfitting.dsr', () => {
  it('fails a record too short to judge, where it was skipped and an audit could PASS on a handful of returns', () => {
    const outcome = dsrCheck(context(steady(7)))
    expect(outcome.check.result).toBe('fail')
    expect(outcome.check.figures).toMatchObject({n_obs: 7, min_n_obs: 10})
    expect(outcome.issues).toHaveLength(1)
    expect(outcome.issues[0]!.severity).toBe('major')
    expect(outcome.issues[0]!.description).toMatch(/holds 7 return\(s\); the deflated Sharpe ratio needs at least 10/)
  })

  it('judges a record of 10 returns or more by the deflated Sharpe ratio', () => {
    const outcome = dsrCheck(context(steady(10)))
    expect(outcome.check.result).toBe('pass')
    expect(outcome.check.figures).toMatchObject({n_obs: 10, trials: 1})
  })
})
