import type {PriceSeries} from '../../backtest/prices.js'
import type {PriceTable} from '../../data/price-file.js'
import {sharpeOrZero} from '../../stats/index.js'
import type {AuditCheck, AuditIssue, NodeFile} from '../../schemas/index.js'
import type {RunnerAccounting} from '../../schemas/verdict.js'
import type {PriceBasis} from '../accounting.js'
import type {Family} from '../family.js'
import type {SeriesFault} from '../csv.js'
import type {AuditRunner} from '../rerun.js'
import type {AuditThresholds} from '../../schemas/audit-thresholds.js'

/** Everything a check reads: the committed outputs and data, the family, the thresholds, and a way to re-run the node. */
export interface CheckContext {
  node: NodeFile
  /** the committed data file, located but not yet validated; undefined when the node declares none or it cannot be read */
  data?: PriceTable
  /** the data's validated prices (`close` is its return column), for altered copies */
  series?: PriceSeries
  /** why the data cannot be read or altered: the checks that need it are `error` */
  dataProblem?: string
  /** committed out/returns.csv, its finite values only */
  returns: Map<string, number>
  /** committed out/positions.csv (empty when the runner wrote none) */
  positions: Map<string, number>
  /** rows of returns.csv or positions.csv that are not one finite value for one new date (left out of `returns` and `positions`) */
  faults: Array<{file: 'returns.csv' | 'positions.csv'} & SeriesFault>
  /** the runner's declaration in its committed verdict.json */
  accounting?: RunnerAccounting
  /** prices under the declared convention, when the data has the declared column */
  basis?: PriceBasis
  family: Family
  costBps: number
  t: AuditThresholds
  runner: AuditRunner
  /** a whole number in [min, maxExclusive), unpredictable by the runner (crypto's randomInt; a test's own) */
  randomInt: (min: number, maxExclusive: number) => number
}

export type IssueDraft = Omit<AuditIssue, 'id'>

export interface CheckOutcome {
  check: AuditCheck
  issues: IssueDraft[]
}

export const perPeriodSharpe = (r: Iterable<number>): number => sharpeOrZero([...r])
export const annualised = (r: Iterable<number>, t: AuditThresholds): number => perPeriodSharpe(r) * Math.sqrt(t.periods_per_year)

export const skipped = (name: string, reason: string, figures: Record<string, unknown> = {}): CheckOutcome => ({
  check: {name, result: 'skipped', figures, reason},
  issues: [],
})

/**
 * A check that could not run (the data cannot be altered, the runner crashed on
 * every copy): never a finding about the strategy, but the audit is incomplete,
 * so the verdict cannot be PASS.
 */
export const errored = (name: string, reason: string, figures: Record<string, unknown> = {}): CheckOutcome => ({
  check: {name, result: 'error', figures, reason},
  issues: [
    {
      severity: 'major',
      category: 'other',
      description: `${name} could not run: ${reason}. This is not a finding about the strategy; the audit is incomplete.`,
      location: name,
      remediation: 'fix the cause named above, then audit again',
    },
  ],
})

/**
 * Why the run's positions.csv cannot be matched to the data: not one of its dates is
 * spelled as a date of the data file (`2015-01-02T00:00:00.000Z` for `2015-01-02`). Every check that lines the two
 * up by date would otherwise report something else (no price row, no returns, a runner that did not read RIGOR_DATA).
 */
export function datesMatchNoData(c: CheckContext): string | undefined {
  if (!c.data) return undefined
  if (c.positions.size === 0) return undefined
  const file = 'positions.csv'
  const data = c.data
  const dates = new Set(data.rows.map((row) => row[data.columns.date]))
  const keys = [...c.positions.keys()]
  if (keys.some((date) => dates.has(date))) return undefined
  return `no date of ${file} is spelled as a date of the data file (${file}: ${JSON.stringify(keys[0])}; ${data.file}: ${JSON.stringify(data.rows[0]?.[data.columns.date])}); fix: write each date as the data file spells it`
}
