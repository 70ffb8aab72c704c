// Backtest throughput: the kit (dist/, typed arrays, one workspace per series)
// against the straightforward reference (bench/reference-backtest.js), in the
// same process on the same 10 years of daily bars.
//
//   npm run build && node bench/backtest.js [--repeats 5] [--seconds 0.5] [--json]
//
// A "backtest" is the whole job a node runs: positions, returns after costs and
// the walk-forward metrics. bars/s = bars in the series x backtests / second.
// "kit" reuses one workspace per series (as a sweep does); "kit cold" allocates
// a fresh one for every run, as a single `rigor backtest` process does once.
// Each measurement repeats `--repeats` times after a warm-up; the table shows the
// median and the best, because a shared machine only ever makes code slower.
import {fileURLToPath, pathToFileURL} from 'node:url'
import {createBacktestWorkspace, runBacktest} from '../dist/core/backtest/backtest.js'
import {assetReturns} from '../dist/core/backtest/engine.js'
import {loadPrices} from '../dist/core/backtest/prices.js'
import {parseStrategyParams, STRATEGIES} from '../dist/core/backtest/strategies/index.js'
import {referenceBacktest} from './reference-backtest.js'

const DATA = fileURLToPath(new URL('../data/SYNTH-A.csv', import.meta.url))
const OPTIONS = {costBps: 5, folds: 5}

const DEFAULT_VARIANTS = {
  momentum: {lookback: 60},
  'ma-crossover': {fast: 20, slow: 100},
  'rsi-reversion': {period: 14, lower: 30, upper: 70},
  breakout: {window: 55},
  'vol-target': {base: 'momentum', lookback: 60, target_vol: 0.15},
}

/** 1,000 variants over every strategy, the shape of a real sweep. */
export function sweepVariants() {
  const variants = []
  for (let lookback = 5; lookback < 205; lookback++) variants.push(['momentum', {lookback}])
  for (const fast of [5, 10, 15, 20, 30, 40, 50, 60, 80, 100]) {
    for (let i = 0; i < 20; i++) variants.push(['ma-crossover', {fast, slow: fast + 10 + 10 * i}])
  }
  for (const period of [2, 3, 4, 5, 7, 10, 14, 21]) {
    for (const lower of [15, 20, 25, 30, 35]) {
      for (const upper of [65, 70, 75, 80, 85]) variants.push(['rsi-reversion', {period, lower, upper}])
    }
  }
  for (let window = 5; window < 205; window++) variants.push(['breakout', {window}])
  for (const lookback of [20, 40, 60, 90, 120, 160, 200, 250]) {
    for (const target_vol of [0.05, 0.08, 0.1, 0.12, 0.15]) {
      for (const vol_window of [10, 20, 40, 60, 120]) variants.push(['vol-target', {base: 'momentum', lookback, target_vol, vol_window}])
    }
  }
  return variants
}

/** Runs of `job` per second: batches until `seconds` have passed, after one warm-up batch. */
function runsPerSecond(job, seconds) {
  let batch = 1
  for (;;) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) job()
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9
    if (elapsed >= seconds) return batch / elapsed
    batch = Math.max(batch * 2, Math.ceil((batch * seconds * 1.2) / Math.max(elapsed, 1e-6)))
  }
}

function repeat(job, repeats, seconds) {
  runsPerSecond(job, seconds / 4) // warm-up: let the JIT settle before anything counts
  const samples = []
  for (let i = 0; i < repeats; i++) samples.push(runsPerSecond(job, seconds))
  samples.sort((a, b) => a - b)
  return {median: samples[Math.floor(samples.length / 2)], best: samples.at(-1)}
}

function assertSameResults(kitMetrics, kitPositions, ref, label) {
  for (const key of [
    'sharpe',
    'gross_sharpe',
    'is_sharpe',
    'sharpe_mean',
    'sharpe_std',
    'sortino',
    'max_drawdown',
    'win_rate',
    'turnover',
    'total_return',
  ]) {
    const a = kitMetrics[key]
    const b = ref[key]
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) throw new Error(`${label}: kit ${key} ${a} != reference ${b}`)
  }
  for (let t = 0; t < kitPositions.length; t++) {
    if (Math.abs(kitPositions[t] - ref.positions[t]) > 1e-9)
      throw new Error(`${label}: position ${t} kit ${kitPositions[t]} != reference ${ref.positions[t]}`)
  }
}

export function runBacktestBench({repeats = 5, seconds = 0.5, file = DATA} = {}) {
  const prices = loadPrices(file)
  const bars = prices.dates.map((date, i) => ({date, close: prices.close[i]}))
  const n = bars.length
  const perStrategy = []
  for (const [name, raw] of Object.entries(DEFAULT_VARIANTS)) {
    const strategy = STRATEGIES[name]
    const params = parseStrategyParams(strategy, raw)
    const check = runBacktest(createBacktestWorkspace(prices.close), strategy, params, OPTIONS)
    assertSameResults(check.metrics, check.positions, referenceBacktest(bars, name, raw, OPTIONS), name)
    // Both sides get their input structure built once, outside the clock: the reference its array of
    // bar objects, the kit its workspace (buffers sized to the series). Every computation is inside the
    // clock, the kit's asset returns included, which a workspace would otherwise keep between runs.
    const workspace = createBacktestWorkspace(prices.close)
    const kit = repeat(
      () => {
        assetReturns(prices.close, workspace.asset)
        return runBacktest(workspace, strategy, params, OPTIONS)
      },
      repeats,
      seconds,
    )
    // cold: a fresh workspace every run, allocation and garbage collection included
    const cold = repeat(() => runBacktest(createBacktestWorkspace(prices.close), strategy, params, OPTIONS), repeats, seconds)
    const reference = repeat(() => referenceBacktest(bars, name, raw, OPTIONS), repeats, seconds)
    perStrategy.push({
      strategy: name,
      params: raw,
      kit_bars_per_s: {median: kit.median * n, best: kit.best * n},
      kit_cold_bars_per_s: {median: cold.median * n, best: cold.best * n},
      reference_bars_per_s: {median: reference.median * n, best: reference.best * n},
      ratio: {median: kit.median / reference.median, best: kit.best / reference.best},
      cold_ratio: {median: cold.median / reference.median, best: cold.best / reference.best},
    })
  }

  const variants = sweepVariants().map(([name, raw]) => [STRATEGIES[name], parseStrategyParams(STRATEGIES[name], raw), name, raw])
  const workspace = createBacktestWorkspace(prices.close)
  for (const [strategy, params, name, raw] of variants.filter((_, i) => i % 97 === 0)) {
    const check = runBacktest(workspace, strategy, params, OPTIONS)
    assertSameResults(check.metrics, check.positions, referenceBacktest(bars, name, raw, OPTIONS), `${name} ${JSON.stringify(raw)}`)
  }
  const kitSweep = repeat(
    () => {
      const ws = createBacktestWorkspace(prices.close)
      for (const [strategy, params] of variants) runBacktest(ws, strategy, params, OPTIONS)
    },
    repeats,
    seconds * 2,
  )
  const referenceSweep = repeat(
    () => {
      for (const [, , name, raw] of variants) referenceBacktest(bars, name, raw, OPTIONS)
    },
    Math.min(repeats, 3),
    seconds * 2,
  )
  const sweep = {
    variants: variants.length,
    kit_seconds: {median: 1 / kitSweep.median, best: 1 / kitSweep.best},
    reference_seconds: {median: 1 / referenceSweep.median, best: 1 / referenceSweep.best},
    kit_bars_per_s: {median: kitSweep.median * n * variants.length, best: kitSweep.best * n * variants.length},
    reference_bars_per_s: {median: referenceSweep.median * n * variants.length, best: referenceSweep.best * n * variants.length},
    ratio: {median: kitSweep.median / referenceSweep.median, best: kitSweep.best / referenceSweep.best},
  }
  return {bars: n, file, node: process.version, per_strategy: perStrategy, sweep}
}

const millions = (x) => `${(x / 1e6).toFixed(1)}M`

function printTable(result) {
  console.log(`${result.bars} daily bars (${result.file}), node ${result.node}; median (best) of the repeats`)
  const cell = (figures, format) => `${format(figures.median)} (${format(figures.best)})`.padEnd(20)
  const times = (x) => `${x.toFixed(1)}x`
  console.log(
    `${'strategy'.padEnd(15)} ${'kit bars/s'.padEnd(20)} ${'kit cold bars/s'.padEnd(20)} ${'reference bars/s'.padEnd(20)} ${'kit / ref'.padEnd(20)} cold / ref`,
  )
  for (const row of result.per_strategy) {
    console.log(
      `${row.strategy.padEnd(15)} ${cell(row.kit_bars_per_s, millions)} ${cell(row.kit_cold_bars_per_s, millions)} ` +
        `${cell(row.reference_bars_per_s, millions)} ${cell(row.ratio, times)} ${cell(row.cold_ratio, times)}`,
    )
  }
  const s = result.sweep
  console.log(
    `sweep of ${s.variants} variants: kit ${s.kit_seconds.median.toFixed(3)}s (${s.kit_seconds.best.toFixed(3)}s), ` +
      `reference ${s.reference_seconds.median.toFixed(2)}s (${s.reference_seconds.best.toFixed(2)}s), ` +
      `${s.ratio.median.toFixed(1)}x (${s.ratio.best.toFixed(1)}x); kit ${millions(s.kit_bars_per_s.median)} bars/s`,
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const value = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback)
  const result = runBacktestBench({repeats: value('--repeats', 5), seconds: value('--seconds', 0.5)})
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else printTable(result)
}
