import {parseDateCell} from './price-file.js'

const DAY_MS = 24 * 60 * 60 * 1000
const DAYS_PER_YEAR = 365.25

/**
 * How many periods a year a series' dates describe: (count - 1) over the years from the
 * first date to the last, read in every spelling a data file's dates may have (YYYYMMDD,
 * Unix timestamps, ISO datetimes; cells that are no date are left out, order does not
 * matter). Undefined for fewer than 3 dates or dates that span no time.
 */
export function datedPeriodsPerYear(dates: Iterable<string>): number | undefined {
  const times = [...dates]
    .map(parseDateCell)
    .filter(Number.isFinite)
    .sort((a, b) => a - b)
  if (times.length < 3) return undefined
  const years = (times.at(-1)! - times[0]!) / DAY_MS / DAYS_PER_YEAR
  return years > 0 ? (times.length - 1) / years : undefined
}

/**
 * Whether dates at `observed` a year are of another kind than `annualisedAt` (weekly or monthly against
 * daily): half the rate or less. A few holidays, or 365-day crypto against 252, are not.
 */
export const slowerRate = (observed: number | undefined, annualisedAt: number): observed is number =>
  observed !== undefined && observed * 2 <= annualisedAt
