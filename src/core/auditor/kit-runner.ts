import {priceSeries, type PriceSeries} from '../backtest/prices.js'
import {runKit} from '../backtest/run-protocol.js'
import {STRATEGY_NAMES} from '../backtest/strategies/index.js'
import type {PriceTable} from '../data/price-file.js'
import {RigorError} from '../errors.js'
import type {NodeFile} from '../schemas/index.js'
import type {AuditRunner, Rerun} from './rerun.js'

export interface KitCommand {
  strategy: string
  costBps?: number
  folds?: number
}

/**
 * The kit's flags when a node's command is exactly `rigor backtest --strategy S
 * [--cost-bps C] [--folds K]` (either `--flag value` or `--flag=value`);
 * anything else is left to the process runner, which runs it as written.
 */
export function kitCommand(command: readonly string[]): KitCommand | undefined {
  if (command[0] !== 'rigor' || command[1] !== 'backtest') return undefined
  const flags = new Map<string, string>()
  const args = command.slice(2)
  for (let i = 0; i < args.length; i++) {
    const match = /^--(strategy|cost-bps|folds)(?:=(.*))?$/.exec(args[i]!)
    if (!match) return undefined
    const value = match[2] ?? args[++i]
    if (value === undefined || flags.has(match[1]!)) return undefined
    flags.set(match[1]!, value)
  }
  const strategy = flags.get('strategy')
  if (!strategy || !STRATEGY_NAMES.includes(strategy)) return undefined
  const number = (name: string) => (flags.has(name) ? Number(flags.get(name)) : undefined)
  const costBps = number('cost-bps')
  const folds = number('folds')
  if ((costBps !== undefined && !(costBps >= 0)) || (folds !== undefined && !Number.isInteger(folds))) return undefined
  return {strategy, costBps, folds}
}

/**
 * The built-in kit re-run in process on altered tables: the same code path as
 * `rigor backtest` minus the files, so a hundred shuffled copies cost a second
 * instead of a hundred process starts. The kit draws no random numbers, so the
 * seed changes nothing (which the seeds check then shows).
 */
export function kitRunner(opts: {node: NodeFile; kit: KitCommand; data: PriceTable; series?: PriceSeries}): AuditRunner {
  return {
    kind: 'kit',
    async run(req): Promise<Rerun> {
      try {
        const data = req.data ?? {file: opts.data.file, table: () => opts.data, series: opts.series}
        // a copy's numbers when its maker computed them, otherwise its text read as `rigor backtest` reads a file
        const run = runKit(data.series ?? priceSeries(data.table()), opts.kit.strategy, opts.node.params, {
          costBps: opts.kit.costBps,
          folds: opts.kit.folds,
          costMultiplier: req.costMultiplier,
          dataFile: data.file,
        })
        const {from, to} = run.result.outOfSample
        const returns = new Map<string, number>()
        for (let t = from; t < to; t++) returns.set(run.prices.dates[t]!, run.result.net[t]!)
        const positions = new Map<string, number>()
        run.prices.dates.forEach((date, t) => positions.set(date, run.result.positions[t]!))
        return {ok: true, returns, positions}
      } catch (error) {
        if (!(error instanceof RigorError)) throw error
        return {ok: false, reason: error.message, returns: new Map(), positions: new Map()}
      }
    },
  }
}
