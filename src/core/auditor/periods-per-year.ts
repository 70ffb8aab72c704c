import {datedPeriodsPerYear, slowerRate} from '../data/dated-rate.js'

/**
 * The rate an audit annualises a node's Sharpe ratios at: `audit.periods_per_year`
 * (252, a trading day), unless the node's own returns are dated at a rate well
 * below it (weekly, monthly data): then that rate, from the dates themselves.
 *
 * At 252 a weekly strategy's Sharpe ratio would be scaled by sqrt(252 / 52), more
 * than twice its worth: an honest one would read as implausible, and every
 * threshold in annualised terms would judge it by a figure it never earned. The
 * dates come from the data (the accounting check holds returns.csv to them), not
 * from params a designer sets, read in every spelling a data file's dates may have
 * (YYYYMMDD, Unix timestamps, ISO datetimes), and the rate is only ever lowered: a rate close to
 * the configured one (daily data with holidays, 365-day crypto) keeps the configured one.
 */
export function auditPeriodsPerYear(dates: Iterable<string>, configured: number): number {
  const observed = datedPeriodsPerYear(dates)
  // only a rate of another kind (half the configured or less), never a few holidays' difference
  return slowerRate(observed, configured) ? observed : configured
}
