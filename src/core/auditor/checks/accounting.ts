import {columnName} from '../../data/price-file.js'
import {type PriceBasis, recomputeReturns, VERIFIABLE_CONVENTION} from '../accounting.js'
import {annualised, datesMatchNoData, errored, type CheckContext, type CheckOutcome, type IssueDraft} from './context.js'

/**
 * The committed returns must follow from the committed positions and the
 * price data under the runner's declared convention. Every other check re-runs
 * the runner on altered copies, and the overfitting checks trust returns.csv:
 * a runner that knows it is being audited could behave on the copies and report
 * returns its positions never earned on the research file. Recomputing from
 * positions.csv closes that door for any runner that declares a convention rigor
 * can verify; the others get "returns not verified".
 */
export function accountingCheck(c: CheckContext): CheckOutcome {
  const name = 'accounting.consistency'
  const issues: IssueDraft[] = [...implausibleSharpe(c)]
  const unverified = (reason: string): CheckOutcome => ({
    check: {name, result: 'skipped', figures: {convention: c.accounting?.convention ?? null}, reason},
    issues: [
      ...issues,
      {
        severity: c.t.allow_unverified_returns ? 'minor' : 'major',
        category: 'other',
        description: `returns not verified: ${reason}${c.t.allow_unverified_returns ? ' (allowed by audit.allow_unverified_returns in rigor.yaml)' : ''}. The overfitting and cost figures trust returns.csv as reported.`,
        location: 'verdict.json of the runner (accounting) and positions.csv',
        remediation: `declare {"accounting": {"convention": "${VERIFIABLE_CONVENTION}", "price": "close", "cost_bps": 5}} in verdict.json and write positions.csv, or opt in with audit: {allow_unverified_returns: true}`,
      },
    ],
  })
  // before any convention: whatever the runner declares, a file read by date must say one number per date
  const fault = c.faults[0]
  if (fault)
    return {
      check: {
        name,
        result: 'fail',
        figures: {file: fault.file, line: fault.line, date: fault.date},
        reason: `${fault.file} line ${fault.line} ${fault.problem}`,
      },
      issues: [
        ...issues,
        {
          severity: 'critical',
          category: 'other',
          description: `${fault.file} line ${fault.line} ${fault.problem}: the file does not say one number per date, so what it reports cannot be checked, while whoever reads it counts it as it is`,
          location: `${fault.file} of the runner`,
          remediation: `write one row per date into ${fault.file}, each with a finite number`,
        },
      ],
    }
  if (!c.accounting) return unverified('the runner declares no accounting convention in verdict.json')
  if (c.accounting.convention !== VERIFIABLE_CONVENTION)
    return unverified(
      `the runner declares the convention "${c.accounting.convention}", which rigor cannot recompute (only ${VERIFIABLE_CONVENTION})`,
    )
  if (c.positions.size === 0) return unverified('the runner wrote no positions.csv to recompute its returns from')
  if (!c.node.data) return unverified('the node declares no data file to recompute its returns from')
  if (!c.data) return errored(name, c.dataProblem ?? 'the data file cannot be read')
  // the table was read but its prices were not (a date out of order, a bad cell): that problem, not a missing column
  if (!c.basis) return errored(name, c.dataProblem ?? `the data has no "${c.accounting.price}" column, the price the runner declares`)
  const unmatched = datesMatchNoData(c)
  if (unmatched) return errored(name, unmatched)
  const cost = c.accounting.cost_bps ?? c.costBps
  const {recomputed, maxDiff, mismatched, first} = compare(c, c.basis, cost)
  const figures = {
    convention: c.accounting.convention,
    price_column: c.basis.column,
    cost_bps: cost,
    periods_checked: c.returns.size,
    mismatched_periods: mismatched,
    max_abs_difference: maxDiff,
    first_mismatch_date: first,
  }
  const threshold = {accounting_tolerance: c.t.accounting_tolerance}
  if (mismatched === 0) return {check: {name, result: 'pass', figures, threshold}, issues}
  const why = recomputed.unreachable[0] ? ` (${recomputed.unreachable[0].date}: ${recomputed.unreachable[0].why})` : ''
  const other = otherColumnThatFits(c, cost)
  return {
    check: {name, result: 'fail', figures, threshold},
    issues: [
      ...issues,
      {
        severity: 'critical',
        category: 'other',
        description: `${mismatched} of ${c.returns.size} committed returns do not follow from positions.csv and the prices under ${c.accounting.convention} at ${cost} bps (largest difference ${maxDiff.toPrecision(3)}, first on ${first})${why}: the reported performance is not what the positions earned`,
        location: 'returns.csv and positions.csv of the runner',
        remediation: other
          ? `they follow from the "${other}" column, not "${c.basis.column}"${c.accounting.price ? '' : ' (the default when verdict.json names no price: the adjusted close when the file has one)'}: declare "price": "${other}" in the accounting of verdict.json`
          : 'write returns.csv from the positions actually held, under the convention declared in verdict.json',
      },
    ],
  }
}

/** An annualised Sharpe ratio above max_plausible_sharpe is a major issue until a reviewer signs it off in rigor.yaml. */
function implausibleSharpe(c: CheckContext): IssueDraft[] {
  const sharpe = annualised(c.returns.values(), c.t)
  if (!(sharpe > c.t.max_plausible_sharpe)) return []
  const signOff = c.t.sign_offs.find((s) => s.node === c.node.id && s.issue === 'implausible_sharpe')
  return [
    {
      severity: signOff ? 'minor' : 'major',
      category: 'other',
      description:
        `an annualised Sharpe ratio of ${sharpe.toFixed(2)} is above ${c.t.max_plausible_sharpe}, beyond what daily strategies sustain: ` +
        (signOff ? `signed off by ${signOff.by}: ${signOff.reason}` : 'a reviewer must sign it off before this audit can pass'),
      location: 'returns.csv',
      remediation: signOff
        ? 'none: signed off in rigor.yaml (audit.sign_offs)'
        : `check the data and the accounting by hand, then add {node: ${c.node.id}, issue: implausible_sharpe, by: <reviewer>, reason: <why>} to audit.sign_offs in rigor.yaml`,
    },
  ]
}

/** How far the committed returns are from those the positions earn on `basis` at `cost` bps. */
function compare(c: CheckContext, basis: PriceBasis, cost: number) {
  const recomputed = recomputeReturns(basis, c.positions, c.returns.keys(), cost)
  let maxDiff = 0
  let mismatched = recomputed.unreachable.length
  let first: string | null = recomputed.unreachable[0]?.date ?? null
  for (const [date, reported] of c.returns) {
    const expected = recomputed.returns.get(date)
    if (expected === undefined) continue
    const diff = Math.abs(expected - reported)
    maxDiff = Math.max(maxDiff, Number.isFinite(diff) ? diff : Number.POSITIVE_INFINITY)
    if (!(diff <= c.t.accounting_tolerance)) {
      mismatched++
      if (first === null || date < first) first = date
    }
  }
  return {recomputed, maxDiff, mismatched, first}
}

/**
 * Another price column of the data (the close beside the adjusted close, say) from which every committed return
 * follows: the runner priced its positions there and declared (or left to the default) another one. Named in the
 * finding's fix; the check still fails, since the declaration is what the other checks read.
 */
function otherColumnThatFits(c: CheckContext, cost: number): string | undefined {
  const data = c.data!
  const dates = data.rows.map((row) => row[data.columns.date]!)
  for (const column of data.columns.prices) {
    const name = columnName(data, column)
    if (name === c.basis!.column) continue
    const prices = Float64Array.from(data.rows, (row) => Number(row[column]))
    if (compare(c, {dates, prices, column: name}, cost).mismatched === 0) return name
  }
  return undefined
}
