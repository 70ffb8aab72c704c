import {Flags} from '@oclif/core'
import {RigorCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import type {BacktestMetrics} from '../core/backtest/backtest.js'
import {DEFAULT_COST_BPS, DEFAULT_FOLDS, MAX_COST_BPS, runBacktestProtocol} from '../core/backtest/run-protocol.js'
import {STRATEGIES, STRATEGY_NAMES} from '../core/backtest/strategies/index.js'

export default class Backtest extends RigorCommand {
  static override summary = 'Run a built-in strategy as a rigor runner (reads RIGOR_DATA and RIGOR_PARAMS, writes RIGOR_OUT).'
  static override description = [
    'Speaks the runner protocol: prices come only from the CSV in RIGOR_DATA, parameters from the JSON in RIGOR_PARAMS, ' +
      'and verdict.json, returns.csv (out-of-sample returns after costs) and positions.csv are written into RIGOR_OUT. ' +
      'A position decided at the close of day t earns the return of day t+1. The verdict carries no status, so the ' +
      "workspace's gates decide. The params cost_bps and folds override the flags.",
    '',
    'Strategies (their params, all optional):',
    ...STRATEGY_NAMES.map((name) => `  ${name}: ${STRATEGIES[name].summary} (${STRATEGIES[name].paramNames.join(', ')})`),
    'vol-target also reads its base strategy\'s params, e.g. {"base": "breakout", "window": 55, "target_vol": 0.1}.',
  ].join('\n')

  static override examples = [
    'RIGOR_DATA=data/SYNTH-A.csv RIGOR_OUT=out RIGOR_PARAMS=\'{"lookback": 60}\' <%= config.bin %> backtest --strategy momentum',
    'in a seed spec: run: {command: [rigor, backtest, --strategy, rsi-reversion]}',
  ]

  static override flags = {
    strategy: Flags.string({description: 'the strategy to run', options: [...STRATEGY_NAMES], required: true}),
    'cost-bps': numberFlag({min: 0, max: MAX_COST_BPS})({
      description: `transaction cost in basis points per unit of position traded (default ${DEFAULT_COST_BPS}; params.cost_bps wins)`,
    }),
    folds: numberFlag({integer: true, min: 1, max: 100})({description: `walk-forward folds (default ${DEFAULT_FOLDS}; params.folds wins)`}),
  }

  async run(): Promise<BacktestMetrics> {
    const {flags} = await this.parse(Backtest)
    const result = await runBacktestProtocol(process.env, flags.strategy, {
      costBps: flags['cost-bps'],
      folds: flags.folds,
    })
    if (result.ignored) this.warn(result.ignored)
    if (result.idle) this.warn(result.idle)
    if (result.rate) this.warn(result.rate)
    const m = result.metrics
    this.say(
      `${result.strategy}: sharpe ${m.sharpe.toFixed(2)} out of sample (in sample ${m.is_sharpe.toFixed(2)}, before costs ${m.gross_sharpe.toFixed(2)}), ` +
        `max drawdown ${(m.max_drawdown * 100).toFixed(1)}%, ${m.n_periods} periods over ${m.n_folds} folds -> ${result.outDir}`,
    )
    return m
  }
}
