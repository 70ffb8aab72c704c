import {describe, expect, it} from 'vitest'
import {attemptCost} from '../../../src/core/agent/run-agent.js'

describe('attemptCost: what one agent attempt counts against the budget', () => {
  it('is the reported cost when the RIGOR_COST line reads, among other stderr lines', () => {
    const stderr = 'thinking...\nRIGOR_COST {"usd": 0.02, "tokens_in": 900, "tokens_out": 300}\ndone\n'
    expect(attemptCost(stderr, 0.5)).toEqual({cost: {usd: 0.02, tokens_in: 900, tokens_out: 300}})
    expect(attemptCost('RIGOR_COST {"usd": 0}', 0.5)).toEqual({cost: {usd: 0, tokens_in: 0, tokens_out: 0}})
  })

  it('is what the budget held when the line is missing, not JSON, or out of range, saying why', () => {
    const held = {usd: 0.5, tokens_in: 0, tokens_out: 0}
    expect(attemptCost('no cost here', 0.5)).toEqual({cost: held, unread: expect.stringMatching(/^no RIGOR_COST line/)})
    expect(attemptCost('RIGOR_COST {usd: 1}', 0.5)).toEqual({cost: held, unread: expect.stringMatching(/not JSON/)})
    for (const [line, field] of [
      ['{"usd": -1}', 'usd'],
      ['{"usd": 2e9}', 'usd'],
      ['{"usd": "0.1"}', 'usd'],
      ['{"usd": 1, "tokens_in": 1e300}', 'tokens_in'],
      ['{"usd": 1, "tokens_out": 1.5}', 'tokens_out'],
      ['{"usd": 1, "dollars": 1}', 'the line'],
      ['[1]', 'the line'],
    ]) {
      const counted = attemptCost(`RIGOR_COST ${line}`, 0.5)
      expect(counted.cost, line).toEqual(held)
      expect(counted.unread, line).toMatch(new RegExp(`^RIGOR_COST ${field}: .*counted as the \\$0\\.5000 the budget held$`))
    }
  })

  it('adds up every RIGOR_COST line (one per model call), not the first only; an unreadable one still counts what was held', () => {
    const stderr = 'RIGOR_COST {"usd": 0.01, "tokens_in": 10}\ncalling again\nRIGOR_COST {"usd": 0.5, "tokens_out": 7}\n'
    expect(attemptCost(stderr, 0.2)).toEqual({cost: {usd: 0.51, tokens_in: 10, tokens_out: 7}})
    const mixed = attemptCost('RIGOR_COST {"usd": 0.3}\nRIGOR_COST oops\n', 0.2)
    expect(mixed.cost.usd).toBeCloseTo(0.5)
    expect(mixed.unread).toBe(
      'RIGOR_COST line is not JSON: counted as the $0.2000 the budget held (plus the $0.3000 its other RIGOR_COST lines reported)',
    )
  })
})
