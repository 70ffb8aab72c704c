import {recomputeReturns, VERIFIABLE_CONVENTION} from '../auditor/accounting.js'
import {finiteSeriesByDate} from '../auditor/csv.js'
import {readData} from '../auditor/inputs.js'
import {CheckFailedError} from '../errors.js'
import {parseDateCell} from '../data/price-file.js'
import type {RunnerAccounting} from '../schemas/verdict.js'
import type {AuditThresholds} from '../schemas/audit-thresholds.js'

/**
 * A paper run's returns, held to the accounting its audited run declared. The
 * runner knows it trades on paper (RIGOR_STAGE=paper): unchecked, it could
 * report there returns its positions never earned, or declare a cost of 0, and
 * the live gate would count them. So each paper return must follow from the
 * paper run's positions and the prices it was given, under the convention,
 * price column and cost of the committed verdict.json (the one the auditor
 * verified), as the auditor's accounting.consistency check does; a runner the
 * audit could not verify trades on paper unverified only where its audit could
 * pass so (audit.allow_unverified_returns).
 */
export function verifyPaperReturns(input: {
  id: string
  /** the history and new rows the paper run read */
  prices: string
  dataFile: string
  /** the committed (audited) run's declaration */
  accounting: RunnerAccounting | undefined
  /** the cost the audited run charged when its declaration names none */
  fallbackCostBps: number
  /** the paper run's positions.csv, if it wrote one */
  positions: string | undefined
  returns: ReadonlyArray<{date: string; value: number}>
  thresholds: Pick<AuditThresholds, 'accounting_tolerance' | 'allow_unverified_returns'>
}): void {
  const {id, accounting, thresholds} = input
  const refusal = (why: string, fix: string): CheckFailedError =>
    new CheckFailedError(`the paper returns of ${id} cannot be verified: ${why}; nothing was recorded`, {fix})
  if (accounting?.convention !== VERIFIABLE_CONVENTION) {
    if (thresholds.allow_unverified_returns) return
    throw refusal(
      accounting
        ? `its audited run declares the convention "${accounting.convention}", which rigor cannot recompute`
        : 'its audited run declares no accounting convention in verdict.json',
      `declare {"accounting": {"convention": "${VERIFIABLE_CONVENTION}", ...}} in verdict.json and write positions.csv, run and audit it again; or opt in with audit: {allow_unverified_returns: true}`,
    )
  }
  if (!input.positions) throw refusal('the paper run wrote no positions.csv', 'a strategy runner writes positions.csv beside returns.csv')
  const {basis, dataProblem} = readData(Buffer.from(input.prices), input.dataFile, accounting)
  if (!basis)
    throw refusal(
      dataProblem ?? `the prices have no "${accounting.price}" column, the price its run declares`,
      'check the new price rows: the same columns as the data file, one row per date',
    )
  // a position that is no number is none: the return it should earn cannot be recomputed, and is refused below
  const positions = finiteSeriesByDate(input.positions, 'position')
  const cost = accounting.cost_bps ?? input.fallbackCostBps
  const recomputed = recomputeReturns(
    basis,
    positions,
    input.returns.map((r) => r.date),
    cost,
  )
  const unreachable = recomputed.unreachable[0]
  if (unreachable)
    throw refusal(`${unreachable.date}: ${unreachable.why}`, 'a strategy runner writes a position for every date it was given')
  for (const {date, value} of input.returns) {
    const expected = recomputed.returns.get(date)!
    if (!(Math.abs(expected - value) <= thresholds.accounting_tolerance))
      throw refusal(
        `its return on ${date}, ${value}, is not what its positions earned under ${VERIFIABLE_CONVENTION} at ${cost} bps (${expected})`,
        'write returns.csv from the positions actually held, under the convention and cost of the audited run; then run rigor paper again',
      )
  }
}

/**
 * How many of the `n` new rows each look-ahead re-run keeps: the auditor's
 * truncation cuts (audit.truncation_cuts, 60%, 75% and 90%) of the paper
 * window, each keeping at least one row and leaving out at least one.
 */
export function paperCuts(n: number, fractions: readonly number[]): number[] {
  const kept = fractions.map((f) => Math.min(n - 1, Math.max(1, Math.round(n * f))))
  return [...new Set(kept)].filter((k) => k >= 1 && k < n).sort((a, b) => a - b)
}

/**
 * The paper run's positions in (after, until] must be what the runner decides
 * when the rows after `until` are left out. It reads them all at once, and knows
 * it trades on paper (RIGOR_STAGE=paper, or by the rows past its backtest
 * window): a runner honest in its audit could look a day ahead here, and its
 * returns would still follow from its positions.
 */
export function requireSamePositions(input: {
  id: string
  full: string
  cut: string | undefined
  after: number
  until: number
  tolerance: number
}): void {
  const {id, after, until} = input
  const full = finiteSeriesByDate(input.full, 'position')
  const cut = input.cut === undefined ? new Map<string, number>() : finiteSeriesByDate(input.cut, 'position')
  for (const [date, position] of full) {
    // the dates as paper.ts compares them (dated-csv.ts)
    const time = parseDateCell(date)
    if (!(time > after && time <= until)) continue
    const decided = cut.get(date)
    if (decided === undefined || !(Math.abs(decided - position) <= input.tolerance))
      throw new CheckFailedError(
        `the paper run of ${id} held ${position} on ${date}, but ${decided === undefined ? 'no position' : decided} when the prices after ${date} were left out: on paper it reads prices from after its own date; nothing was recorded`,
        {fix: 'make the position at day t depend only on prices up to t in every run, paper included (RIGOR_STAGE=paper)'},
      )
  }
}
