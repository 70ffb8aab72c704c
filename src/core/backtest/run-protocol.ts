import {mkdir, writeFile} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'
import {stringify} from 'csv-stringify/sync'
import * as z from 'zod'
import {datedPeriodsPerYear, slowerRate} from '../data/dated-rate.js'
import {InputError} from '../errors.js'
import {closestNames} from '../validation.js'
import {createBacktestWorkspace, runBacktest, type BacktestMetrics, type BacktestResult} from './backtest.js'
import {TRADING_DAYS_PER_YEAR} from './metrics.js'
import {loadPrices, type PriceSeries} from './prices.js'
import {getStrategy, parseStrategyParams, STRATEGIES} from './strategies/index.js'
import {minimumBars} from './walk-forward.js'

/**
 * `rigor backtest` as a runner (docs/runner-protocol.md): prices come only from
 * RIGOR_DATA, parameters from RIGOR_PARAMS, and everything lands in RIGOR_OUT.
 * The verdict carries no status, so the workspace's gates decide.
 */

export const DEFAULT_COST_BPS = 5
/** 100% of what is traded: a cost beyond it is a typo (a bps figure given as a fraction's reciprocal, an extra zero or ten) */
export const MAX_COST_BPS = 10_000
export const DEFAULT_FOLDS = 5
export const ARTIFACTS = ['returns.csv', 'positions.csv'] as const

/** Keys of RIGOR_PARAMS read by the runner itself rather than by the strategy. A param wins over the matching flag. */
const RunnerParams = z.object({
  cost_bps: z.number().min(0).max(MAX_COST_BPS).optional(),
  folds: z.int().min(1).max(100).optional(),
  periods_per_year: z.number().positive().optional(),
})

export interface BacktestProtocolOptions {
  /** from `--cost-bps`; RIGOR_PARAMS.cost_bps overrides it */
  costBps?: number
  /** from `--folds`; RIGOR_PARAMS.folds overrides it */
  folds?: number
  /** directory that relative RIGOR_DATA / RIGOR_OUT paths are resolved against (default: the process's) */
  cwd?: string
}

export interface BacktestProtocolResult {
  strategy: string
  /** the parameters the run used, defaults filled in */
  params: Record<string, unknown>
  metrics: BacktestMetrics
  notes: string
  /** why the metrics measure nothing: the strategy held no position that earned an out-of-sample return */
  idle?: string
  /** why the annualised figures overstate: the prices are dated far less often than the rate they are annualised at */
  rate?: string
  /** the RIGOR_PARAMS keys nothing read, with the closest param each may have meant */
  ignored?: string
  dataFile: string
  outDir: string
  /** absolute paths of verdict.json and the artifacts */
  written: string[]
}

/** A backtest computed in memory: what the protocol writes, and what the auditor re-runs in process. */
export interface KitRun {
  strategy: string
  /** the strategy's validated params (what the strategy reads) */
  params: unknown
  effectiveParams: Record<string, unknown>
  /** the cost actually charged, after RIGOR_COST_MULTIPLIER */
  costBps: number
  folds: number
  /** what the Sharpe ratios are annualised at: params.periods_per_year, else 252 */
  periodsPerYear: number
  prices: PriceSeries
  result: BacktestResult
  /** RIGOR_PARAMS keys nothing reads */
  ignored: string[]
}

export interface KitInputs {
  /** from `--cost-bps`; params.cost_bps overrides it */
  costBps?: number
  /** from `--folds`; params.folds overrides it */
  folds?: number
  /** RIGOR_COST_MULTIPLIER: the auditor's one way of raising costs (params are never touched) */
  costMultiplier?: number
  /** names the data in error messages */
  dataFile: string
}

/** Runs `strategyName` with raw (RIGOR_PARAMS-style) params over `prices`, in process. */
export function runKit(prices: PriceSeries, strategyName: string, rawParams: Record<string, unknown>, inputs: KitInputs): KitRun {
  const strategy = getStrategy(strategyName)
  const runner = RunnerParams.safeParse(rawParams)
  if (!runner.success) {
    const issue = runner.error.issues[0]
    throw new InputError(issue.message, {
      file: 'RIGOR_PARAMS',
      field: issue.path.join('.'),
      fix: `cost_bps is a number from 0 to ${MAX_COST_BPS}, folds a whole number from 1 to 100, periods_per_year a number > 0 (params of the node)`,
    })
  }
  const costBps = (runner.data.cost_bps ?? inputs.costBps ?? DEFAULT_COST_BPS) * (inputs.costMultiplier ?? 1)
  const folds = runner.data.folds ?? inputs.folds ?? DEFAULT_FOLDS
  const periodsPerYear = runner.data.periods_per_year ?? TRADING_DAYS_PER_YEAR
  const params = parseStrategyParams(strategy, rawParams, 'RIGOR_PARAMS')
  const bars = prices.close.length
  if (bars < minimumBars(folds)) {
    throw new InputError(`has ${bars} price rows; ${folds} walk-forward folds need at least ${minimumBars(folds)}`, {
      file: inputs.dataFile,
      fix: 'use a longer price history or fewer folds (--folds or params.folds)',
    })
  }
  const result = runBacktest(createBacktestWorkspace(prices.close), strategy, params, {costBps, folds, periodsPerYear})
  const ignored = Object.keys(rawParams).filter((key) => !knownParamNames(strategy.name, params).has(key))
  return {strategy: strategy.name, params, effectiveParams: flattenParams(params), costBps, folds, periodsPerYear, prices, result, ignored}
}

/**
 * How the kit's returns follow from its positions, declared in verdict.json so
 * the auditor can recompute every period (README, "The runner protocol").
 */
export const kitAccounting = (run: KitRun) => ({
  convention: 'close_to_close' as const,
  price: run.prices.closeColumn ?? 'close',
  cost_bps: run.costBps,
})

export async function runBacktestProtocol(
  env: NodeJS.ProcessEnv,
  strategyName: string,
  opts: BacktestProtocolOptions = {},
): Promise<BacktestProtocolResult> {
  const cwd = opts.cwd ?? process.cwd()
  const dataFile = resolve(cwd, requireVariable(env, 'RIGOR_DATA', 'the price CSV (date,close or date,open,high,low,close,volume)'))
  const outDir = resolve(cwd, requireVariable(env, 'RIGOR_OUT', 'the directory to write verdict.json, returns.csv and positions.csv into'))
  getStrategy(strategyName)
  const rawParams = readParams(env.RIGOR_PARAMS)
  const seed = readSeed(env.RIGOR_SEED)
  const costMultiplier = readCostMultiplier(env.RIGOR_COST_MULTIPLIER)
  // notes, warnings and errors name the file the node declared (rigor sets RIGOR_DATA_NAME), not the copy named by its
  // content that RIGOR_DATA points at (6d1c65...csv)
  const declared = env.RIGOR_DATA_NAME || undefined
  const dataName = declared ?? basename(dataFile)
  const prices = loadPrices(dataFile, declared ?? dataFile)
  const run = runKit(prices, strategyName, rawParams, {
    costBps: opts.costBps,
    folds: opts.folds,
    costMultiplier,
    dataFile: declared ?? dataFile,
  })
  const {result, costBps} = run
  const {from, to} = result.outOfSample
  const idle = idleWarning(run, dataName)
  const rate = rateWarning(run, dataName)
  const ignored = ignoredWarning(run)
  const notes = [
    `${run.strategy} ${JSON.stringify(run.effectiveParams)} on ${dataName}:`,
    `${result.folds.length}-fold walk-forward, out of sample ${prices.dates[from]} to ${prices.dates[to - 1]} (${to - from} periods),`,
    `${costBps} bps per unit traded${costMultiplier === 1 ? '' : ` (RIGOR_COST_MULTIPLIER ${costMultiplier})`}; in-sample sharpe ${result.metrics.is_sharpe.toFixed(2)} vs out-of-sample ${result.metrics.sharpe.toFixed(2)}.`,
    `Deterministic: seed ${seed} recorded; the backtest draws no random numbers.`,
    run.ignored.length > 0 ? `Ignored params: ${run.ignored.join(', ')}.` : '',
    idle ? `Warning: ${idle}` : '',
    rate ? `Warning: ${rate}` : '',
  ]
    .filter(Boolean)
    .join(' ')

  const returnsRows: [string, number][] = []
  for (let t = from; t < to; t++) returnsRows.push([prices.dates[t], result.net[t]])
  const positionRows: [string, number][] = []
  for (let t = 0; t < prices.close.length; t++) positionRows.push([prices.dates[t], result.positions[t]])
  const written = [join(outDir, 'returns.csv'), join(outDir, 'positions.csv'), join(outDir, 'verdict.json')]
  const verdict = {metrics: result.metrics, notes, artifacts: [...ARTIFACTS], accounting: kitAccounting(run)}
  await writeOutputs(outDir, [
    [written[0], stringify(returnsRows, {header: true, columns: ['date', 'return']})],
    [written[1], stringify(positionRows, {header: true, columns: ['date', 'position']})],
    // the verdict last: its presence says the artifacts it lists are complete
    [written[2], `${JSON.stringify(verdict, null, 2)}\n`],
  ])

  return {
    strategy: run.strategy,
    params: run.effectiveParams,
    metrics: result.metrics,
    notes,
    idle,
    rate,
    ignored,
    dataFile,
    outDir,
    written,
  }
}

// what a RIGOR_OUT set by hand to the wrong place gives: a file (EEXIST, ENOTDIR), a folder where an output goes
// (EISDIR), a place not writable (EACCES, EPERM, EROFS); anything else (a full disk) is no fault of the path
const PATH_ERRORS = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS'])

/** Writes each file in order into `outDir`, made if missing; a path that cannot hold them is the user's to change (exit 2). */
async function writeOutputs(outDir: string, files: readonly (readonly [string, string])[]): Promise<void> {
  try {
    await mkdir(outDir, {recursive: true})
    for (const [file, text] of files) await writeFile(file, text)
  } catch (error) {
    if (!PATH_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) throw error
    throw new InputError(`cannot hold the backtest's outputs: ${(error as Error).message}`, {
      file: outDir,
      field: 'RIGOR_OUT',
      cause: error,
      fix: 'set RIGOR_OUT to a directory you can write to, new or holding no folder named returns.csv, positions.csv or verdict.json (rigor run sets it for you)',
    })
  }
}

/**
 * Said when no position earned an out-of-sample return, so the Sharpe ratio of 0 is
 * no measurement. Not refused: the auditor re-runs the strategy on data cut short,
 * where trading nothing for want of history is the right answer (docs/auditor.md).
 */
function idleWarning(run: KitRun, dataName: string): string | undefined {
  const {result, prices} = run
  const {from, to} = result.outOfSample
  // the position decided at the close of bar t earns the return of bar t + 1
  for (let t = Math.max(from - 1, 0); t < to - 1; t++) if (result.positions[t] !== 0) return undefined
  return (
    `${run.strategy} ${JSON.stringify(run.effectiveParams)} took no position in the out-of-sample window ` +
    `(${prices.dates[from]} to ${prices.dates[to - 1]}) of ${dataName}'s ${prices.close.length} price rows, so its ` +
    'Sharpe ratio of 0 measures nothing: a lookback or window as long as the history, or a threshold the prices never reach, ' +
    'does this; shorten it (RIGOR_PARAMS) or give a longer history'
  )
}

/**
 * Said when the prices are dated at half the annualisation rate or less (weekly or monthly bars, annualised at 252
 * as if daily): sharpe, sortino and volatility are then overstated by sqrt(252 / 12), 4.6 times for monthly bars.
 * Not refused, and the figures are not changed behind the user's back: params.periods_per_year says the rate.
 * An audit annualises at the dates' own rate either way (auditor/periods-per-year.ts).
 */
function rateWarning(run: KitRun, dataName: string): string | undefined {
  const observed = datedPeriodsPerYear(run.prices.dates)
  if (!slowerRate(observed, run.periodsPerYear)) return undefined
  const rate = Math.round(observed)
  return (
    `${dataName}'s dates come about ${rate} times a year, but sharpe, sortino and volatility are annualised at ${run.periodsPerYear} periods a year, ` +
    `which overstates them ${Math.sqrt(run.periodsPerYear / observed).toFixed(1)} times: set params.periods_per_year to ${rate} (52 for weekly, 12 for monthly prices)`
  )
}

/**
 * Said when RIGOR_PARAMS holds keys nothing reads. Not refused (a node's params may carry keys for other readers),
 * but a misspelt param (`lookbak`) runs the strategy on its default, which the user must hear of.
 */
function ignoredWarning(run: KitRun): string | undefined {
  if (run.ignored.length === 0) return undefined
  const known = [...knownParamNames(run.strategy, run.params)]
  const named = run.ignored.map((key) => {
    const [close] = closestNames(key, known, 1)
    return close === undefined ? key : `${key} (did you mean ${close}?)`
  })
  return (
    `${run.strategy} read no param named ${named.join(', ')}: it ran with ${JSON.stringify(run.effectiveParams)}; ` +
    `the params it reads are ${known.join(', ')}`
  )
}

function readCostMultiplier(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 1
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0)
    throw new InputError(`"${text}" is not a number >= 0`, {field: 'RIGOR_COST_MULTIPLIER', fix: 'unset it, or give a factor such as 2'})
  return value
}

function requireVariable(env: NodeJS.ProcessEnv, name: 'RIGOR_DATA' | 'RIGOR_OUT', what: string): string {
  const value = env[name]
  if (value === undefined || value.trim() === '') {
    throw new InputError(`${name} is not set; it names ${what}`, {
      fix: 'run the backtest through `rigor run <id>` on a node that declares `data:`, or set RIGOR_DATA=<prices.csv> and RIGOR_OUT=<dir> yourself',
    })
  }
  return value
}

function readParams(json: string | undefined): Record<string, unknown> {
  if (json === undefined || json.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new InputError(`is not valid JSON: ${(error as Error).message}`, {
      file: 'RIGOR_PARAMS',
      cause: error,
      fix: 'set RIGOR_PARAMS to a JSON object such as {"lookback": 60} (rigor sets it from the node\'s params)',
    })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('must be a JSON object', {
      file: 'RIGOR_PARAMS',
      fix: 'set RIGOR_PARAMS to a JSON object such as {"lookback": 60} (rigor sets it from the node\'s params)',
    })
  }
  return value as Record<string, unknown>
}

function readSeed(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0
  const seed = Number(text)
  if (!Number.isSafeInteger(seed))
    throw new InputError(`"${text}" is not an integer`, {field: 'RIGOR_SEED', fix: 'unset it, or give a whole number such as 7'})
  return seed
}

/** Every param name the run reads: the runner's, the strategy's, and for an overlay its base strategy's. */
function knownParamNames(strategyName: string, params: unknown): Set<string> {
  const names = new Set([...Object.keys(RunnerParams.shape), ...STRATEGIES[strategyName].paramNames])
  const base = (params as {base?: unknown}).base
  if (typeof base === 'string' && Object.hasOwn(STRATEGIES, base)) for (const name of STRATEGIES[base].paramNames) names.add(name)
  return names
}

/** An overlay's params with its base strategy's beside them, as the user wrote them: one flat object. */
function flattenParams(params: unknown): Record<string, unknown> {
  const {baseParams, ...own} = params as Record<string, unknown>
  return baseParams === undefined ? own : {...own, ...(baseParams as Record<string, unknown>)}
}
