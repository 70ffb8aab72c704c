import {RigorCommand} from '../../cli/base.js'
import {returnMomentFlags} from '../../cli/stats-flags.js'
import {numberFlag} from '../../cli/flags.js'
import {
  aboutFlags,
  formatNumber,
  observedFromFlags,
  requireObservations,
  toPerPeriod,
  toUserUnits,
  unitsNote,
} from '../../cli/stats-inputs.js'
import {probabilisticSharpeRatio, probabilisticSharpeStatistic} from '../../core/stats/psr.js'

export interface PsrResult {
  /** Probability that the true Sharpe ratio exceeds the benchmark. */
  psr: number
  /** The standard normal statistic inside Φ. */
  z: number
  sharpe: number
  sharpe_per_period: number
  benchmark: number
  benchmark_per_period: number
  n_obs: number
  skew: number
  kurtosis: number
  periods_per_year: number | null
  returns_file: string | null
}

export default class StatsPsr extends RigorCommand {
  static override summary = 'Probabilistic Sharpe Ratio: the probability that the true Sharpe ratio exceeds a benchmark'
  static override description =
    `Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier". Accounts for the track record length and the returns' skewness and kurtosis.

Sharpe ratios are per period unless --periods-per-year is given, in which case they are annualised, both in and out. Kurtosis is plain, not excess: 3 for a normal distribution.`

  static override examples = [
    '<%= config.bin %> stats psr --sharpe 0.4575 --skew -2.448 --kurtosis 10.164 --n-obs 24',
    '<%= config.bin %> stats psr --sharpe 1.585 --periods-per-year 12 --skew -2.448 --kurtosis 10.164 --n-obs 24 --json',
    '<%= config.bin %> stats psr --returns out/returns.csv --benchmark 0.05',
  ]

  static override flags = {
    sharpe: numberFlag()({description: 'observed Sharpe ratio'}),
    benchmark: numberFlag()({description: 'Sharpe ratio to beat', default: 0}),
    ...returnMomentFlags,
  }

  async run(): Promise<PsrResult> {
    const {flags} = await this.parse(StatsPsr)
    const {periodsPerYear, observed} = observedFromFlags(flags)
    const nObs = requireObservations(observed)
    const benchmark = flags.benchmark
    const benchmarkPerPeriod = toPerPeriod(benchmark, periodsPerYear, '--benchmark')
    const input = {
      sharpe: observed.sharpePerPeriod,
      benchmark: benchmarkPerPeriod,
      nObs,
      skewness: observed.skewness,
      kurtosis: observed.kurtosis,
    }
    const psr = aboutFlags(() => probabilisticSharpeRatio(input), flags)

    const result: PsrResult = {
      psr,
      z: probabilisticSharpeStatistic(input),
      sharpe: toUserUnits(observed.sharpePerPeriod, periodsPerYear),
      sharpe_per_period: observed.sharpePerPeriod,
      benchmark,
      benchmark_per_period: benchmarkPerPeriod,
      n_obs: nObs,
      skew: observed.skewness,
      kurtosis: observed.kurtosis,
      periods_per_year: periodsPerYear ?? null,
      returns_file: observed.returnsFile ?? null,
    }

    const units = unitsNote(periodsPerYear)
    this.say(`PSR ${formatNumber(psr)}: the probability that the true Sharpe ratio exceeds ${formatNumber(benchmark)} (${units})`)
    this.say(
      `  observed Sharpe ratio ${formatNumber(result.sharpe)} over ${nObs} observations, skewness ${formatNumber(observed.skewness)}, kurtosis ${formatNumber(observed.kurtosis)}`,
    )
    if (observed.assumedNormal) this.say('  skewness and kurtosis not given: assumed normal (0 and 3)')
    return result
  }
}
