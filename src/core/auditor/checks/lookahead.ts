import {seriesPrefix} from '../../backtest/prices.js'
import {type DatedTable, parseDateCell, truncatePriceTable} from '../../data/price-file.js'
import {inBatches, tableData} from '../rerun.js'
import {datesMatchNoData, errored, skipped, type CheckContext, type CheckOutcome} from './context.js'

/**
 * Where each truncated copy ends: near each fraction of the rows, moved at random by up to 5% of them (at least one
 * row) for each audit. A copy can show a look-ahead only in the position just before its cut, so cut rows a runner
 * could compute from the row count and the configured fractions would let it peek everywhere else and pass; the rows
 * drawn are in the check's figures (`cuts_rows`).
 */
export function truncationRows(rows: number, fractions: readonly number[], draw: (min: number, maxExclusive: number) => number): number[] {
  const reach = Math.max(1, Math.floor(rows * 0.05))
  const cuts = fractions.map((f) => Math.min(rows - 1, Math.max(1, Math.floor(rows * f) + draw(-reach, reach + 1))))
  return [...new Set(cuts)].sort((a, b) => a - b)
}

/**
 * Positions up to a cut must not change when the data after the cut is
 * removed: a position that does read data from after its own date.
 */
export async function truncationCheck(c: CheckContext): Promise<CheckOutcome> {
  const name = 'lookahead.truncation'
  if (!c.node.data) return skipped(name, 'the node declares no data file to truncate')
  if (!c.data) return errored(name, c.dataProblem ?? 'the data file cannot be read')
  if (c.positions.size === 0) return skipped(name, 'the runner wrote no positions.csv')
  const unmatched = datesMatchNoData(c)
  if (unmatched) return errored(name, unmatched)
  const data = c.data
  // the first rows of a file that is not oldest first are not the data as it stood at a date: a cut of them would show
  // a runner that sorts its rows another history, its positions changed, and call that a look-ahead
  const backwards = firstRowBackInTime(data)
  if (backwards !== undefined)
    return errored(
      name,
      `the data cannot be cut by date (${data.file} line ${data.lineOf(backwards)}: ${data.rows[backwards]![data.columns.date]} comes before the row above it; fix: sort the rows oldest first)`,
    )
  const cuts = truncationRows(data.rows.length, c.t.truncation_cuts, c.randomInt)
  const reruns = await inBatches(
    cuts.map((cut) => () => {
      const series = c.series && seriesPrefix(c.series, cut)
      // the other data files a runner reads end where this copy does: a look-ahead through a benchmark is caught too
      const truncatedFrom = data.rows[cut]?.[data.columns.date]
      return c.runner.run({data: tableData(truncatePriceTable(data, cut), series), truncatedFrom})
    }),
    c.t.parallel,
  )
  let maxDiff = 0
  let firstDate: string | null = null
  let firstCut = 0
  let missing = 0
  const failures: string[] = []
  const ignoredData: string[] = []
  const differs = (date: string, cut: number) => {
    if (firstDate === null || date < firstDate) {
      firstDate = date
      firstCut = cut
    }
  }
  reruns.forEach((r, i) => {
    if (!r.ok) return failures.push(`cut at row ${cuts[i]}: ${r.reason}`)
    const keptDates = data.rows.slice(0, cuts[i]).map((row) => row[data.columns.date]!)
    const kept = new Set(keptDates)
    // a position dated after the cut came from data the copy did not hold: the runner read another file
    const beyond = [...r.positions.keys()].find((date) => !kept.has(date))
    if (beyond !== undefined) ignoredData.push(`cut at row ${cuts[i]} still has a position on ${beyond}`)
    const start = keptDates.findIndex((date) => Number.isFinite(r.positions.get(date)))
    if (start === -1) return failures.push(`cut at row ${cuts[i]}: no position in its positions.csv`)
    // from its first position on, the copy owes one wherever the full run has one: a position left out (or NaN) near
    // the cut is the one a look-ahead could not make without the later rows
    for (const date of keptDates.slice(start)) {
      const full = c.positions.get(date)
      if (full === undefined) continue
      const pos = r.positions.get(date)
      if (pos === undefined || !Number.isFinite(pos)) {
        missing++
        differs(date, cuts[i]!)
        continue
      }
      const diff = Math.abs(full - pos)
      if (diff > maxDiff) maxDiff = diff
      if (diff > c.t.position_tolerance) differs(date, cuts[i]!)
    }
  })
  const figures = {cuts_rows: cuts, max_position_difference: maxDiff, missing_positions: missing, first_differing_date: firstDate}
  const threshold = {position_tolerance: c.t.position_tolerance}
  if (ignoredData.length > 0)
    return errored(name, `the runner did not read RIGOR_DATA (${ignoredData[0]}), so truncating it tests nothing`, figures)
  if (failures.length === cuts.length) return errored(name, `the runner failed on every truncated copy (${failures[0]})`, figures)
  const matching = maxDiff <= c.t.position_tolerance && missing === 0
  if (matching && failures.length === 0) return {check: {name, result: 'pass', figures, threshold}, issues: []}
  // a copy the strategy could not run on shows nothing about look-ahead (a warm-up longer than the cut, a train/test
  // split the cut falls before): the check is incomplete, and an incomplete audit does not pass either
  if (matching)
    return errored(
      name,
      `the strategy could not run on ${failures.length} of ${cuts.length} truncated copies (${failures[0]}); its positions on the others match`,
      {...figures, failed_reruns: failures},
    )
  return {
    check: {name, result: 'fail', figures: {...figures, failed_reruns: failures}, threshold},
    issues: [
      {
        severity: 'critical',
        category: 'lookahead',
        description: `positions up to a cut changed when later data was removed (by up to ${maxDiff.toPrecision(3)}${missing ? `; ${missing} left out or not a number` : ''}, first on ${firstDate}, in the copy cut at row ${firstCut}, ending before ${data.rows[firstCut]?.[data.columns.date]}): they depend on data from after their own date`,
        location: 'positions.csv of the runner; the code that computes positions',
        remediation:
          'compute each position only from data up to its own date (no centred windows, no whole-sample normalisation, no next-day values), and nothing from how many rows the file has: a train/test split at a fraction of the rows moves with the data, so split at a date (a parameter) instead',
      },
    ],
  }
}

/** The first row dated before the row above it (dates in any spelling the reader takes; a cell that is no date is not compared). */
function firstRowBackInTime(table: DatedTable): number | undefined {
  let previous = Number.NaN
  for (let i = 0; i < table.rows.length; i++) {
    const time = parseDateCell(table.rows[i]![table.columns.date] ?? '')
    if (time < previous) return i
    if (!Number.isNaN(time)) previous = time
  }
  return undefined
}
