import {Flags} from '@oclif/core'
import {RigorCommand} from '../../cli/base.js'
import {numberFlag} from '../../cli/flags.js'
import {aboutFlags, formatNumber} from '../../cli/stats-inputs.js'
import {DEFAULT_CSCV_SPLITS, MAX_CSCV_SPLITS, probabilityOfBacktestOverfitting, usableSplits} from '../../core/stats/pbo.js'
import {aboutFile, readReturnsMatrix} from '../../core/stats/returns-csv.js'

export interface PboCommandResult {
  /** Share of CSCV combinations whose in-sample best trial ranked at or below the median out of sample. */
  pbo: number
  /** λ = ln(ω̄ / (1 - ω̄)) per combination; ω̄ is the selected trial's relative out-of-sample rank. */
  logits: number[]
  n_trials: number
  n_splits: number
  splits_requested: number
  combinations: number
  n_rows: number
  rows_used: number
  /** Share of combinations whose selected trial had a negative Sharpe ratio out of sample. */
  probability_of_loss: number
  /** Out-of-sample Sharpe ratio regressed on in-sample Sharpe ratio of the selected trials (per period). */
  degradation: {slope: number; intercept: number} | null
  /** How often each trial was the in-sample winner, by column name. */
  selected: Record<string, number>
  returns_file: string
}

export default class StatsPbo extends RigorCommand {
  static override summary = 'Probability of Backtest Overfitting by combinatorially symmetric cross-validation'
  static override description =
    `Bailey, Borwein, López de Prado & Zhu (2015). The returns matrix (one column per trial, one row per period, oldest first; a "date" column is ignored) is cut into S blocks; every half of the blocks serves once as the in-sample set. PBO is the share of those combinations in which the in-sample best trial (by Sharpe ratio) ranks at or below the median out of sample. Near 0: selection finds real skill; near 0.5 or above: the choice of trial is noise.

S defaults to 16 and is lowered, with a note, when the matrix has too few rows. The oldest rows that do not fill a whole block are dropped.`

  static override examples = [
    '<%= config.bin %> stats pbo --returns family/returns.csv',
    '<%= config.bin %> stats pbo --returns family/returns.csv --splits 10 --json',
  ]

  static override flags = {
    returns: Flags.string({
      description: 'CSV returns matrix: one column per trial, optional date column',
      helpValue: '<file>',
      required: true,
    }),
    splits: numberFlag({integer: true, min: 2})({description: `number of blocks S, even (default ${DEFAULT_CSCV_SPLITS})`}),
  }

  async run(): Promise<PboCommandResult> {
    const {flags} = await this.parse(StatsPbo)
    const returnsFlag = flags.returns
    const requested = flags.splits ?? DEFAULT_CSCV_SPLITS
    const matrix = readReturnsMatrix(returnsFlag)
    // an odd or oversized S is a mistake to report (the library does); only a short matrix lowers S
    const lowerable = requested % 2 === 0 && requested <= MAX_CSCV_SPLITS && matrix.rows.length >= 4
    const chosen = lowerable ? usableSplits(matrix.rows.length, requested) : requested

    const result = aboutFlags(() =>
      aboutFile(returnsFlag, undefined, () => probabilityOfBacktestOverfitting(matrix.rows, {splits: chosen})),
    )
    const selected: Record<string, number> = {}
    for (const index of result.selectedTrials) {
      const name = matrix.trials[index]
      selected[name] = (selected[name] ?? 0) + 1
    }

    if (chosen !== requested)
      this.say(`note: ${matrix.rows.length} rows allow at most ${chosen} splits; using ${chosen} instead of ${requested}`)
    this.say(
      `PBO ${formatNumber(result.pbo, 3)} over ${result.combinations} combinations (${result.nTrials} trials, S = ${result.nSplits}, ${result.rowsUsed} of ${result.nRows} rows)`,
    )
    this.say(`  probability of an out-of-sample loss for the selected trial: ${formatNumber(result.probabilityOfLoss, 3)}`)
    if (result.degradationFit) {
      this.say(
        `  out-of-sample Sharpe ≈ ${formatNumber(result.degradationFit.slope, 3)} × in-sample Sharpe + ${formatNumber(result.degradationFit.intercept, 4)}`,
      )
    }

    return {
      pbo: result.pbo,
      logits: result.logits,
      n_trials: result.nTrials,
      n_splits: result.nSplits,
      splits_requested: requested,
      combinations: result.combinations,
      n_rows: result.nRows,
      rows_used: result.rowsUsed,
      probability_of_loss: result.probabilityOfLoss,
      degradation: result.degradationFit,
      selected,
      returns_file: returnsFlag,
    }
  }
}
