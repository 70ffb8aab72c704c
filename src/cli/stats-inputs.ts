import {resolve} from 'node:path'
import {InputError} from '../core/errors.js'
import {aboutFile, readReturnsColumn} from '../core/stats/returns-csv.js'
import {estimateSharpe, perPeriodSharpe} from '../core/stats/sharpe.js'

/**
 * What the `rigor stats` commands share: the Sharpe ratio with its moments taken
 * either from flags (numbers parsed by oclif, see stats-flags.ts) or from a returns CSV.
 * The convention: Sharpe ratios are per period unless periods-per-year is given,
 * in which case every Sharpe ratio read or printed is annualised.
 */

export function requireFlag<T>(value: T | undefined, flag: string, fix: string): T {
  if (value === undefined) throw new InputError('a value is required', {field: flag, fix})
  return value
}

export interface SharpeFlags {
  returns?: string
  sharpe?: number
  skew?: number
  kurtosis?: number
  nObs?: number
}

export interface ResolvedSharpe {
  /** Per-period Sharpe ratio. */
  sharpePerPeriod: number
  nObs?: number
  skewness: number
  kurtosis: number
  /** True when skewness and kurtosis were not given and the normal values stand in. */
  assumedNormal: boolean
  /** The returns file the figures came from, if any. */
  returnsFile?: string
  /** The returns column used, if any. */
  returnsColumn?: string
}

/**
 * The observed Sharpe ratio and moments, from `--returns FILE` or from
 * `--sharpe/--skew/--kurtosis/--n-obs`, never a mixture: a figure given beside the
 * file it should have come from is a contradiction to report, not to resolve.
 */
export function resolveSharpe(flags: SharpeFlags, periodsPerYear: number | undefined, cwd?: string): ResolvedSharpe {
  if (flags.returns !== undefined) {
    const clashing = (['sharpe', 'skew', 'kurtosis', 'nObs'] as const).filter((name) => flags[name] !== undefined)
    if (clashing.length > 0) {
      const names = clashing.map(flagName).join(', ')
      throw new InputError(`${names} cannot be combined with --returns, which determines them`, {
        field: '--returns',
        fix: `drop ${names}, or drop --returns and give the figures as flags`,
      })
    }
    const file = cwd ? resolve(cwd, flags.returns) : flags.returns
    const {column, values} = readReturnsColumn(file)
    const estimate = aboutFile(flags.returns, column, () => estimateSharpe(values))
    return {
      sharpePerPeriod: estimate.sharpe,
      nObs: estimate.nObs,
      skewness: estimate.skewness,
      kurtosis: estimate.kurtosis,
      assumedNormal: false,
      returnsFile: flags.returns,
      returnsColumn: column,
    }
  }
  const sharpe = requireFlag(flags.sharpe, '--sharpe', 'give the observed Sharpe ratio with --sharpe, or a returns CSV with --returns')
  const skewness = flags.skew
  const kurtosis = flags.kurtosis
  return {
    sharpePerPeriod: toPerPeriod(sharpe, periodsPerYear),
    nObs: flags.nObs,
    skewness: skewness ?? 0,
    kurtosis: kurtosis ?? 3,
    assumedNormal: skewness === undefined && kurtosis === undefined,
  }
}

export function toPerPeriod(sharpe: number, periodsPerYear: number | undefined, flag = '--sharpe'): number {
  return periodsPerYear === undefined ? sharpe : finitePerPeriod(perPeriodSharpe(sharpe, periodsPerYear), sharpe, periodsPerYear, flag)
}

/**
 * A figure given per year, per period: finite, or an error naming --periods-per-year, where the overflow (a Sharpe ratio
 * of 1 at 1e-300 periods a year is 1e150 per period, a variance 1e300) came out as "varianceOfTrialSharpes: Infinity".
 */
export function finitePerPeriod(perPeriod: number, given: number, periodsPerYear: number, flag: string): number {
  if (Number.isFinite(perPeriod)) return perPeriod
  throw new InputError(`at ${periodsPerYear} periods a year, ${flag} ${given} is ${perPeriod} per period`, {
    field: '--periods-per-year',
    fix: 'give the number of return periods in a year, e.g. 252 for trading days or 12 for months',
  })
}

/** The flag that gives each input of the core statistics, which name them as the formulas do. */
const FLAG_OF_INPUT: Record<string, string> = {
  sharpe: '--sharpe',
  skewness: '--skew',
  kurtosis: '--kurtosis',
  nObs: '--n-obs',
  benchmark: '--benchmark',
  confidence: '--confidence',
  nTrials: '--trials',
  varianceOfTrialSharpes: '--var-trials',
  splits: '--splits',
  periodsPerYear: '--periods-per-year',
}

/** The inputs a returns CSV gives in place of flags. */
const FROM_RETURNS = new Set(['sharpe', 'skewness', 'kurtosis', 'nObs'])

/**
 * Runs a computation of src/core/stats, its errors about an input naming the flag that gave it (`--confidence`, or
 * `--returns` for the figures a returns CSV gave), where they named the formula's name (`confidence`,
 * `varianceOfTrialSharpes`) that no flag has.
 */
export function aboutFlags<T>(compute: () => T, opts: {returns?: string} = {}): T {
  try {
    return compute()
  } catch (error) {
    if (!(error instanceof InputError) || error.file !== undefined || error.field === undefined) throw error
    const flag = opts.returns !== undefined && FROM_RETURNS.has(error.field) ? '--returns' : FLAG_OF_INPUT[error.field]
    if (flag === undefined) throw error
    const detail = error.message.slice(`field "${error.field}": `.length)
    const fix = flag === '--returns' ? error.fix : error.fix?.replace(`give ${error.field} `, `give ${flag} `)
    throw new InputError(detail, {field: flag, fix, cause: error})
  }
}

/** Back to the units the user speaks: annualised when periods-per-year was given. */
export function toUserUnits(sharpePerPeriod: number, periodsPerYear: number | undefined): number {
  return periodsPerYear === undefined ? sharpePerPeriod : sharpePerPeriod * Math.sqrt(periodsPerYear)
}

/** A short description of the units, for human output. */
export function unitsNote(periodsPerYear: number | undefined): string {
  return periodsPerYear === undefined ? 'per period' : `annualised at ${periodsPerYear} periods a year`
}

export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x)
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(2)
}

function flagName(name: keyof SharpeFlags): string {
  return name === 'nObs' ? '--n-obs' : `--${name}`
}

/** The flags of a return series as the stats commands receive them. */
export interface ReturnMomentFlagValues {
  returns?: string
  sharpe?: number
  skew?: number
  kurtosis?: number
  'n-obs'?: number
  'periods-per-year'?: number
}

/** The observed Sharpe ratio and moments from the shared flags, in per-period units, with the annualisation used. */
export function observedFromFlags(flags: ReturnMomentFlagValues): {periodsPerYear: number | undefined; observed: ResolvedSharpe} {
  const periodsPerYear = flags['periods-per-year']
  const observed = resolveSharpe(
    {returns: flags.returns, sharpe: flags.sharpe, skew: flags.skew, kurtosis: flags.kurtosis, nObs: flags['n-obs']},
    periodsPerYear,
  )
  return {periodsPerYear, observed}
}

export const requireObservations = (observed: ResolvedSharpe): number =>
  requireFlag(observed.nObs, '--n-obs', 'give the number of return observations with --n-obs, or a returns CSV with --returns')
