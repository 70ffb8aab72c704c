import {auditPeriodsPerYear} from '../auditor/periods-per-year.js'

/**
 * The rate a paper record's Sharpe ratio is annualised at, for deploy.live.min_paper_sharpe:
 * the node's own periods a year (params.periods_per_year, as the kit reads it: 52 for
 * weekly data), but never more than audit.periods_per_year, the rate rigor.yaml's Sharpe
 * thresholds are expressed in. Its designer sets the params: periods_per_year 25,200 on
 * daily data would multiply the paper Sharpe ratio by ten and carry a weak record past
 * deploy.live.min_paper_sharpe. And, as the audit does, the rate its data's `dates` show
 * when that is half the rate or less: weekly prices without the param were annualised at
 * 252, their paper Sharpe ratio 2.2 times what the audit judged. A lower rate only makes
 * the figure, and the gate, stricter.
 */
export function paperPeriodsPerYear(own: unknown, workspaceRate: number, dates: Iterable<string>): number {
  const rate = typeof own === 'number' && own > 0 ? Math.min(own, workspaceRate) : workspaceRate
  return auditPeriodsPerYear(dates, rate)
}
