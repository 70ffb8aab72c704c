import {describe, expect, it} from 'vitest'
import {truncationCheck} from '../../../src/core/auditor/checks/lookahead.js'
import type {CheckContext} from '../../../src/core/auditor/checks/context.js'
import type {Rerun, RerunRequest} from '../../../src/core/auditor/rerun.js'
import {readPriceTable} from '../../../src/core/data/price-file.js'
import {AuditThresholds} from '../../../src/core/schemas/audit-thresholds.js'

const ROWS = 100
const dates = Array.from({length: ROWS}, (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10))
const table = readPriceTable(`date,close\n${dates.map((d, i) => `${d},${100 + i}`).join('\n')}\n`, 'prices.csv')
const positions = new Map(dates.map((d) => [d, 1]))

/** A check context whose runner answers each truncated copy with `answer(rows)`. */
function context(answer: (rows: number) => Rerun): CheckContext {
  return {
    node: {id: 'x/y', data: 'prices.csv'} as CheckContext['node'],
    data: table,
    returns: new Map(),
    positions,
    family: {} as CheckContext['family'],
    costBps: 0,
    t: AuditThresholds.parse({}),
    runner: {kind: 'process', run: async (req: RerunRequest) => answer(req.data!.table().rows.length)},
    // the cuts land on the configured fractions (truncation-rows.test.ts draws others)
    randomInt: () => 0,
  }
}

const ran = (rows: number, position = (_: number) => 1): Rerun => ({
  ok: true,
  reason: '',
  returns: new Map(),
  positions: new Map(dates.slice(0, rows).map((d, i) => [d, position(i)])),
})

describe('lookahead.truncation', () => {
  it('a copy the strategy cannot run on (a warm-up longer than the cut) leaves the check incomplete, not a look-ahead finding', async () => {
    const outcome = await truncationCheck(context((rows) => (rows < 70 ? {...ran(0), ok: false, reason: 'exited with code 1'} : ran(rows))))
    expect(outcome.check.result).toBe('error')
    expect(outcome.check.reason).toContain('could not run on 1 of 3 truncated copies')
    expect(outcome.issues.map((i) => i.category)).not.toContain('lookahead')
  })

  it('positions that change on a copy fail it, whether or not another copy crashed', async () => {
    const outcome = await truncationCheck(
      context((rows) => (rows < 70 ? {...ran(0), ok: false, reason: 'exited with code 1'} : ran(rows, (i) => (i === rows - 1 ? 0 : 1)))),
    )
    expect(outcome.check.result).toBe('fail')
    expect(outcome.issues[0]!.category).toBe('lookahead')
  })

  it('a copy that leaves out, or writes NaN for, the positions it could not decide without the later rows fails it', async () => {
    // a look-ahead that stays quiet where it cannot look: its last position before each cut is missing
    const leftOut = await truncationCheck(
      context((rows) => ({...ran(rows), positions: new Map(dates.slice(0, rows - 1).map((d) => [d, 1] as [string, number]))})),
    )
    expect(leftOut.check.result).toBe('fail')
    expect(leftOut.check.figures).toMatchObject({missing_positions: 3, first_differing_date: dates[59]})
    expect(leftOut.issues[0]!.description).toContain('3 left out or not a number')
    const notANumber = await truncationCheck(context((rows) => ran(rows, (i) => (i === rows - 1 ? Number.NaN : 1))))
    expect(notANumber.check.result).toBe('fail')
    expect(notANumber.issues[0]!.category).toBe('lookahead')
    // a copy with no position at all shows nothing: incomplete
    const none = await truncationCheck(context((rows) => (rows < 70 ? ran(0) : ran(rows))))
    expect(none.check.result).toBe('error')
    expect(none.check.reason).toContain('no position in its positions.csv')
  })

  it('every copy run with the same positions passes', async () => {
    expect((await truncationCheck(context((rows) => ran(rows)))).check.result).toBe('pass')
  })
})
