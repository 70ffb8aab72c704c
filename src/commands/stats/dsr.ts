import {RigorCommand} from '../../cli/base.js'
import {returnMomentFlags} from '../../cli/stats-flags.js'
import {numberFlag} from '../../cli/flags.js'
import {
  aboutFlags,
  finitePerPeriod,
  formatNumber,
  observedFromFlags,
  requireObservations,
  toUserUnits,
  unitsNote,
} from '../../cli/stats-inputs.js'
import {deflatedSharpeRatio} from '../../core/stats/dsr.js'

export interface DsrResult {
  /** Probability that the true Sharpe ratio exceeds sr0. */
  dsr: number
  /** Expected maximum Sharpe ratio of n_trials unskilled trials, in the input's units. */
  sr0: number
  sr0_per_period: number
  sharpe: number
  sharpe_per_period: number
  n_trials: number
  var_trials: number
  var_trials_per_period: number
  n_obs: number
  skew: number
  kurtosis: number
  periods_per_year: number | null
  returns_file: string | null
}

export default class StatsDsr extends RigorCommand {
  static override summary = 'Deflated Sharpe Ratio: the Sharpe ratio corrected for the number of trials it was selected from'
  static override description =
    `Bailey & López de Prado (2014). sr0 is the expected maximum Sharpe ratio of N trials with no skill, given the variance of the trials' Sharpe ratios; dsr is the probability that the true Sharpe ratio exceeds sr0, given the track record length, skewness and kurtosis.

Sharpe ratios (and --var-trials) are per period unless --periods-per-year is given, in which case they are annualised, both in and out. Kurtosis is plain, not excess: 3 for a normal distribution.`

  static override examples = [
    '<%= config.bin %> stats dsr --sharpe 0.1581 --trials 100 --var-trials 0.002 --skew -3 --kurtosis 10 --n-obs 1250',
    '<%= config.bin %> stats dsr --sharpe 2.5 --trials 100 --var-trials 0.5 --skew -3 --kurtosis 10 --n-obs 1250 --periods-per-year 250 --json',
    '<%= config.bin %> stats dsr --returns out/returns.csv --trials 40 --var-trials 0.0008',
  ]

  static override flags = {
    sharpe: numberFlag()({description: 'observed Sharpe ratio of the selected trial'}),
    trials: numberFlag({integer: true, min: 1})({
      description: 'number of trials N the selected one was picked from (rejected trials count too)',
      required: true,
    }),
    'var-trials': numberFlag({min: 0})({description: "variance of the trials' Sharpe ratios", required: true}),
    ...returnMomentFlags,
  }

  async run(): Promise<DsrResult> {
    const {flags} = await this.parse(StatsDsr)
    const {periodsPerYear, observed} = observedFromFlags(flags)
    const nObs = requireObservations(observed)
    const nTrials = flags.trials
    const varTrials = flags['var-trials']
    // a variance of Sharpe ratios scales with the square of the Sharpe ratio's units
    const varTrialsPerPeriod =
      periodsPerYear === undefined ? varTrials : finitePerPeriod(varTrials / periodsPerYear, varTrials, periodsPerYear, '--var-trials')

    const {dsr, sr0} = aboutFlags(
      () =>
        deflatedSharpeRatio({
          sharpe: observed.sharpePerPeriod,
          nTrials,
          varianceOfTrialSharpes: varTrialsPerPeriod,
          nObs,
          skewness: observed.skewness,
          kurtosis: observed.kurtosis,
        }),
      flags,
    )

    const result: DsrResult = {
      dsr,
      sr0: toUserUnits(sr0, periodsPerYear),
      sr0_per_period: sr0,
      sharpe: toUserUnits(observed.sharpePerPeriod, periodsPerYear),
      sharpe_per_period: observed.sharpePerPeriod,
      n_trials: nTrials,
      var_trials: varTrials,
      var_trials_per_period: varTrialsPerPeriod,
      n_obs: nObs,
      skew: observed.skewness,
      kurtosis: observed.kurtosis,
      periods_per_year: periodsPerYear ?? null,
      returns_file: observed.returnsFile ?? null,
    }

    const units = unitsNote(periodsPerYear)
    this.say(`DSR ${formatNumber(dsr)}: the probability that the true Sharpe ratio exceeds sr0`)
    this.say(`  sr0 ${formatNumber(result.sr0)} (${units}), the expected best of ${nTrials} trials with no skill`)
    this.say(
      `  observed Sharpe ratio ${formatNumber(result.sharpe)} (${units}) over ${nObs} observations, skewness ${formatNumber(observed.skewness)}, kurtosis ${formatNumber(observed.kurtosis)}`,
    )
    if (observed.assumedNormal) this.say('  skewness and kurtosis not given: assumed normal (0 and 3)')
    return result
  }
}
