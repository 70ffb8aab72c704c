import {RigorCommand} from '../../cli/base.js'
import {numberFlag} from '../../cli/flags.js'
import {returnMomentFlags} from '../../cli/stats-flags.js'
import {aboutFlags, formatNumber, observedFromFlags, requireObservations, toUserUnits, unitsNote} from '../../cli/stats-inputs.js'
import {sharpeStandardError} from '../../core/stats/sharpe.js'

export interface SharpeResult {
  sharpe: number
  /** Standard error of the Sharpe ratio under skewed, fat-tailed i.i.d. returns (Lo 2002; Mertens 2002). */
  standard_error: number
  sharpe_per_period: number
  standard_error_per_period: number
  n_obs: number
  skew: number
  kurtosis: number
  periods_per_year: number | null
  returns_file: string | null
}

export default class StatsSharpe extends RigorCommand {
  static override summary = 'Sharpe ratio and its standard error under non-normal returns'
  static override description =
    `The Sharpe ratio of a return series (mean over sample standard deviation, no risk-free rate subtracted: give excess returns) and its standard error sqrt((1 - skew·SR + (kurtosis - 1)/4·SR²) / (T - 1)), after Lo (2002) and Mertens (2002).

Give --returns FILE to compute everything from a CSV, or --sharpe with --n-obs (and --skew, --kurtosis) for the standard error of a known ratio. Sharpe ratios are per period unless --periods-per-year is given, in which case they are annualised, both in and out. Kurtosis is plain, not excess: 3 for a normal distribution.`

  static override examples = [
    '<%= config.bin %> stats sharpe --returns out/returns.csv',
    '<%= config.bin %> stats sharpe --returns out/returns.csv --periods-per-year 252 --json',
    '<%= config.bin %> stats sharpe --sharpe 0.1 --n-obs 500 --skew -1 --kurtosis 6',
  ]

  static override flags = {
    ...returnMomentFlags,
    sharpe: numberFlag()({description: 'a known Sharpe ratio, for its standard error'}),
  }

  async run(): Promise<SharpeResult> {
    const {flags} = await this.parse(StatsSharpe)
    const {periodsPerYear, observed} = observedFromFlags(flags)
    const nObs = requireObservations(observed)
    const standardError = aboutFlags(
      () => sharpeStandardError({sharpe: observed.sharpePerPeriod, nObs, skewness: observed.skewness, kurtosis: observed.kurtosis}),
      flags,
    )

    const result: SharpeResult = {
      sharpe: toUserUnits(observed.sharpePerPeriod, periodsPerYear),
      standard_error: toUserUnits(standardError, periodsPerYear),
      sharpe_per_period: observed.sharpePerPeriod,
      standard_error_per_period: standardError,
      n_obs: nObs,
      skew: observed.skewness,
      kurtosis: observed.kurtosis,
      periods_per_year: periodsPerYear ?? null,
      returns_file: observed.returnsFile ?? null,
    }

    const source = observed.returnsColumn ? ` from column "${observed.returnsColumn}" of ${observed.returnsFile}` : ''
    this.say(
      `Sharpe ratio ${formatNumber(result.sharpe)} ± ${formatNumber(result.standard_error)} (standard error; ${unitsNote(periodsPerYear)})${source}`,
    )
    this.say(`  ${nObs} observations, skewness ${formatNumber(observed.skewness)}, kurtosis ${formatNumber(observed.kurtosis)}`)
    if (observed.assumedNormal) this.say('  skewness and kurtosis not given: assumed normal (0 and 3)')
    return result
  }
}
