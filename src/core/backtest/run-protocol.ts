import {mkdir, writeFile} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'
import {stringify} from 'csv-stringify/sync'
import {z} from 'zod'
import {InputError} from '../errors.js'
import {createBacktestWorkspace, runBacktest, type BacktestMetrics} from './backtest.js'
import {TRADING_DAYS_PER_YEAR} from './metrics.js'
import {loadPrices} from './prices.js'
import {getStrategy, parseStrategyParams, STRATEGIES} from './strategies/index.js'
import {minimumBars} from './walk-forward.js'

/**
 * `rigor backtest` as a runner (SPEC section 5): prices come only from
 * RIGOR_DATA, parameters from RIGOR_PARAMS, and everything lands in RIGOR_OUT.
 * The verdict carries no status, so the workspace's gates decide.
 */

export const DEFAULT_COST_BPS = 5
export const DEFAULT_FOLDS = 5
export const ARTIFACTS = ['returns.csv', 'positions.csv'] as const

/** Keys of RIGOR_PARAMS read by the runner itself rather than by the strategy. A param wins over the matching flag. */
const RunnerParams = z.object({
  cost_bps: z.number().min(0).optional(),
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
  dataFile: string
  outDir: string
  /** absolute paths of verdict.json and the artifacts */
  written: string[]
}

export async function runBacktestProtocol(
  env: NodeJS.ProcessEnv,
  strategyName: string,
  opts: BacktestProtocolOptions = {},
): Promise<BacktestProtocolResult> {
  const cwd = opts.cwd ?? process.cwd()
  const dataFile = resolve(cwd, requireVariable(env, 'RIGOR_DATA', 'the price CSV (date,close or date,open,high,low,close,volume)'))
  const outDir = resolve(cwd, requireVariable(env, 'RIGOR_OUT', 'the directory to write verdict.json, returns.csv and positions.csv into'))
  const strategy = getStrategy(strategyName)
  const rawParams = readParams(env.RIGOR_PARAMS)
  const seed = readSeed(env.RIGOR_SEED)

  const runner = RunnerParams.safeParse(rawParams)
  if (!runner.success) {
    const issue = runner.error.issues[0]
    throw new InputError(issue.message, {file: 'RIGOR_PARAMS', field: issue.path.join('.')})
  }
  const costBps = runner.data.cost_bps ?? opts.costBps ?? DEFAULT_COST_BPS
  const folds = runner.data.folds ?? opts.folds ?? DEFAULT_FOLDS
  const periodsPerYear = runner.data.periods_per_year ?? TRADING_DAYS_PER_YEAR
  const params = parseStrategyParams(strategy, rawParams, 'RIGOR_PARAMS')
  const effectiveParams = flattenParams(params)

  const prices = loadPrices(dataFile)
  const bars = prices.close.length
  if (bars < minimumBars(folds)) {
    throw new InputError(`has ${bars} price rows; ${folds} walk-forward folds need at least ${minimumBars(folds)}`, {
      file: dataFile,
      fix: 'use a longer price history or fewer folds (--folds or params.folds)',
    })
  }

  const workspace = createBacktestWorkspace(prices.close)
  const result = runBacktest(workspace, strategy, params, {costBps, folds, periodsPerYear})
  const {from, to} = result.outOfSample

  const ignored = Object.keys(rawParams).filter((key) => !knownParamNames(strategy.name, params).has(key))
  const notes = [
    `${strategy.name} ${JSON.stringify(effectiveParams)} on ${basename(dataFile)}:`,
    `${result.folds.length}-fold walk-forward, out of sample ${prices.dates[from]} to ${prices.dates[to - 1]} (${to - from} periods),`,
    `${costBps} bps per unit traded; in-sample sharpe ${result.metrics.is_sharpe.toFixed(2)} vs out-of-sample ${result.metrics.sharpe.toFixed(2)}.`,
    `Deterministic: seed ${seed} recorded; the backtest draws no random numbers.`,
    ignored.length > 0 ? `Ignored params: ${ignored.join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ')

  await mkdir(outDir, {recursive: true})
  const returnsRows: [string, number][] = []
  for (let t = from; t < to; t++) returnsRows.push([prices.dates[t], result.net[t]])
  const positionRows: [string, number][] = []
  for (let t = 0; t < bars; t++) positionRows.push([prices.dates[t], result.positions[t]])
  const written = [join(outDir, 'returns.csv'), join(outDir, 'positions.csv'), join(outDir, 'verdict.json')]
  await writeFile(written[0], stringify(returnsRows, {header: true, columns: ['date', 'return']}))
  await writeFile(written[1], stringify(positionRows, {header: true, columns: ['date', 'position']}))
  // the verdict last: its presence says the artifacts it lists are complete
  const verdict = {metrics: result.metrics, notes, artifacts: [...ARTIFACTS]}
  await writeFile(written[2], `${JSON.stringify(verdict, null, 2)}\n`)

  return {strategy: strategy.name, params: effectiveParams, metrics: result.metrics, notes, dataFile, outDir, written}
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
    throw new InputError(`is not valid JSON: ${(error as Error).message}`, {file: 'RIGOR_PARAMS', cause: error})
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('must be a JSON object such as {"lookback": 60}', {file: 'RIGOR_PARAMS'})
  }
  return value as Record<string, unknown>
}

function readSeed(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new InputError(`"${text}" is not an integer`, {field: 'RIGOR_SEED'})
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
