import {InputError} from '../../errors.js'
import {breakout} from './breakout.js'
import {maCrossover} from './ma-crossover.js'
import {momentum} from './momentum.js'
import {rsiReversion} from './rsi-reversion.js'
import type {Strategy} from './strategy.js'
import {volTargetStrategy} from './vol-target.js'

export type {Strategy} from './strategy.js'

/** The strategies an overlay can wrap. */
export const BASE_STRATEGIES: Readonly<Record<string, Strategy<any>>> = {
  momentum,
  'ma-crossover': maCrossover,
  'rsi-reversion': rsiReversion,
  breakout,
}

/** Every built-in strategy by name: what `rigor backtest --strategy NAME` accepts. */
export const STRATEGIES: Readonly<Record<string, Strategy<any>>> = {
  ...BASE_STRATEGIES,
  'vol-target': volTargetStrategy(BASE_STRATEGIES),
}

export const STRATEGY_NAMES: readonly string[] = Object.keys(STRATEGIES)

export function getStrategy(name: string): Strategy<unknown> {
  const strategy = Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name] : undefined
  if (strategy === undefined) {
    throw new InputError(`unknown strategy "${name}"`, {field: 'strategy', fix: `use one of: ${STRATEGY_NAMES.join(', ')}`})
  }
  return strategy
}

/**
 * Validate raw parameters (e.g. parsed RIGOR_PARAMS) for `strategy` and fill its
 * defaults. `source` names where they came from in the error.
 */
export function parseStrategyParams<P>(strategy: Strategy<P>, raw: unknown, source = 'params'): P {
  const result = strategy.params.safeParse(raw ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue.path.length > 0 ? issue.path.join('.') : undefined
  throw new InputError(`${strategy.name}: ${issue.message}`, {
    file: source,
    field,
    fix: `${strategy.name} reads ${strategy.paramNames.join(', ')}${strategy.name === 'vol-target' ? " and the base strategy's own params" : ''}`,
  })
}
