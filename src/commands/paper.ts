import {Args, Flags} from '@oclif/core'
import {WorkspaceCommand} from '../cli/base.js'
import {numberFlag} from '../cli/flags.js'
import {withAbort} from '../cli/signals.js'
import {commandLineBase, withWorkspace, workerName} from '../cli/workspace.js'
import {ATTR} from '../core/telemetry/telemetry.js'
import {paperTrade, type PaperResult} from '../core/deploy/index.js'
import {resolveSigner} from '../core/state/signing-key.js'

export default class Paper extends WorkspaceCommand {
  static override summary =
    'Trade a paper-deployed node forward on the prices after its backtest window; records deployments/paper/<id>.results.yaml.'
  static override description =
    `The backtest window ends at the last date of the node's committed out/returns.csv. The paper periods are the rows dated after it in the node's data file (append new prices to it as they arrive) or in --data FILE. The node's command runs once on the history followed by those rows (RIGOR_DATA), and its returns after the window are the paper record: periods, sharpe (annualised like the backtest's), total_return, max_drawdown, win_rate. Each run covers every paper period so far. Only a node with an active paper deployment can be paper traded.`
  static override examples = [
    '<%= config.bin %> paper arch/momentum',
    '<%= config.bin %> paper arch/momentum --periods 20 --data data/new-prices.csv --json',
  ]
  static override args = {id: Args.string({description: 'node id', required: true})}
  static override flags = {
    periods: numberFlag({integer: true, min: 1})({description: 'walk forward at most this many periods'}),
    data: Flags.string({description: "a price CSV holding the new rows (default: the node's data file)"}),
    'signing-key': Flags.string({
      description:
        "SSH private key that signs the paper commit; with auditors: in rigor.yaml, live reads only paper results a listed auditor signed (default: $RIGOR_SIGNING_KEY, or git's user.signingkey with gpg.format=ssh)",
    }),
  }

  async run(): Promise<PaperResult> {
    const {args, flags} = await this.parse(Paper)
    const result = await this.traced(
      {[ATTR.nodeId]: args.id},
      () =>
        withWorkspace(flags, async (ws) => {
          const signer = await resolveSigner(ws.repo, flags['signing-key'], commandLineBase(flags))
          // Ctrl-C and SIGTERM stop the run and record nothing (exit 130 or 143)
          return withAbort(({signal, groups}) =>
            paperTrade(ws, args.id, {
              periods: flags.periods,
              data: flags.data,
              base: commandLineBase(flags),
              by: workerName(undefined),
              signer,
              signal,
              groups,
            }),
          )
        }),
      {stopsCleanly: true},
    )
    this.say(
      `${result.node}: ${result.periods} paper period(s) ${result.from} to ${result.to} after the backtest window (ended ${result.backtest_end})`,
    )
    this.say(
      `sharpe ${result.sharpe.toFixed(3)}, total return ${(result.total_return * 100).toFixed(2)}%, max drawdown ${(result.max_drawdown * 100).toFixed(2)}%  -> ${result.file}`,
    )
    return result
  }
}
