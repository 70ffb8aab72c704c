import {RigorCommand} from '../../cli/base.js'
import {returnMomentFlags} from '../../cli/stats-flags.js'
import {numberFlag} from '../../cli/flags.js'
import {aboutFlags, formatNumber, observedFromFlags, toPerPeriod, toUserUnits, unitsNote} from '../../cli/stats-inputs.js'
import {minimumTrackRecordLength} from '../../core/stats/mintrl.js'

export interface MinTrlResult {
  /** Minimum track record length, in periods of observation (fractional). */
  mintrl: number
  /** The same in years; null without --periods-per-year. */
  mintrl_years: number | null
  sharpe: number
  sharpe_per_period: number
  benchmark: number
  benchmark_per_period: number
  skew: number
  kurtosis: number
  confidence: number
  /** Observations available, when known (from --n-obs or --returns). */
  n_obs: number | null
  /** Whether n_obs reaches mintrl; null when n_obs is unknown. */
  long_enough: boolean | null
  periods_per_year: number | null
  returns_file: string | null
}

export default class StatsMintrl extends RigorCommand {
  static override summary = 'Minimum Track Record Length: observations needed before the Sharpe ratio beats a benchmark with confidence'
  static override description =
    `Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier": the track record length at which the Probabilistic Sharpe Ratio reaches the confidence level, if the observed Sharpe ratio, skewness and kurtosis persist. The result is in periods of observation.

Sharpe ratios are per period unless --periods-per-year is given, in which case they are annualised, and the result is also given in years. Kurtosis is plain, not excess: 3 for a normal distribution.`

  static override examples = [
    '<%= config.bin %> stats mintrl --sharpe 0.4575 --skew -2.448 --kurtosis 10.164',
    '<%= config.bin %> stats mintrl --sharpe 2 --benchmark 1 --periods-per-year 250 --json',
    '<%= config.bin %> stats mintrl --returns out/returns.csv --confidence 0.99',
  ]

  static override flags = {
    sharpe: numberFlag()({description: 'observed Sharpe ratio'}),
    benchmark: numberFlag()({description: 'Sharpe ratio to beat', default: 0}),
    ...returnMomentFlags,
    confidence: numberFlag()({description: 'confidence level to reach', helpValue: '<probability>', default: 0.95}),
    'n-obs': numberFlag({integer: true, min: 2})({description: 'observations available, to say whether the track record is long enough'}),
  }

  async run(): Promise<MinTrlResult> {
    const {flags} = await this.parse(StatsMintrl)
    const {periodsPerYear, observed} = observedFromFlags(flags)
    const benchmark = flags.benchmark
    const benchmarkPerPeriod = toPerPeriod(benchmark, periodsPerYear, '--benchmark')
    const confidence = flags.confidence
    const mintrl = aboutFlags(
      () =>
        minimumTrackRecordLength({
          sharpe: observed.sharpePerPeriod,
          benchmark: benchmarkPerPeriod,
          skewness: observed.skewness,
          kurtosis: observed.kurtosis,
          confidence,
        }),
      flags,
    )
    const nObs = observed.nObs ?? null

    const result: MinTrlResult = {
      mintrl,
      mintrl_years: periodsPerYear === undefined ? null : mintrl / periodsPerYear,
      sharpe: toUserUnits(observed.sharpePerPeriod, periodsPerYear),
      sharpe_per_period: observed.sharpePerPeriod,
      benchmark,
      benchmark_per_period: benchmarkPerPeriod,
      skew: observed.skewness,
      kurtosis: observed.kurtosis,
      confidence,
      n_obs: nObs,
      long_enough: nObs === null ? null : nObs >= mintrl,
      periods_per_year: periodsPerYear ?? null,
      returns_file: observed.returnsFile ?? null,
    }

    const years = result.mintrl_years === null ? '' : ` (${formatNumber(result.mintrl_years, 2)} years)`
    this.say(`MinTRL ${formatNumber(mintrl, 2)} observations${years} for PSR(${formatNumber(benchmark)}) to reach ${confidence}`)
    this.say(
      `  observed Sharpe ratio ${formatNumber(result.sharpe)} (${unitsNote(periodsPerYear)}), skewness ${formatNumber(observed.skewness)}, kurtosis ${formatNumber(observed.kurtosis)}`,
    )
    if (nObs !== null)
      this.say(`  ${nObs} observations available: ${result.long_enough ? 'long enough' : `${Math.ceil(mintrl - nObs)} more needed`}`)
    if (observed.assumedNormal) this.say('  skewness and kurtosis not given: assumed normal (0 and 3)')
    return result
  }
}
