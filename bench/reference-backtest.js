// The straightforward backtester a newcomer writes: an array of bar objects,
// every window recomputed from a fresh slice, array methods throughout.
// It implements exactly the kit's rules (timing, costs, folds, metric
// definitions), so the benchmark can check that both give the same numbers
// before it compares their speed. It is kept simple on purpose: it is the
// yardstick, not a second product.

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const sampleStd = (xs) => {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}

function momentum(bars, {lookback}) {
  return bars.map((bar, i) => (i < lookback ? 0 : Math.sign(bar.close - bars[i - lookback].close)))
}

function maCrossover(bars, {fast, slow}) {
  return bars.map((_bar, i) => {
    if (i < slow - 1) return 0
    const fastAverage = mean(bars.slice(i - fast + 1, i + 1).map((b) => b.close))
    const slowAverage = mean(bars.slice(i - slow + 1, i + 1).map((b) => b.close))
    // the kit treats a relative gap below 1e-12 as a tie; so must the yardstick
    const gap = fastAverage - slowAverage
    if (Math.abs(gap) <= 1e-12 * slowAverage) return 0
    return gap > 0 ? 1 : -1
  })
}

function rsiReversion(bars, {period, lower, upper}) {
  const states = []
  for (let i = 0; i < bars.length; i++) {
    if (i === 0) {
      states.push({avgGain: 0, avgLoss: 0, position: 0})
      continue
    }
    const change = bars[i].close - bars[i - 1].close
    const gain = Math.max(change, 0)
    const loss = Math.max(-change, 0)
    const previous = states[i - 1]
    let avgGain
    let avgLoss
    if (i <= period) {
      avgGain = previous.avgGain + gain / period
      avgLoss = previous.avgLoss + loss / period
    } else {
      avgGain = (previous.avgGain * (period - 1) + gain) / period
      avgLoss = (previous.avgLoss * (period - 1) + loss) / period
    }
    let position = 0
    if (i >= period) {
      const rsi = avgGain + avgLoss > 0 ? (100 * avgGain) / (avgGain + avgLoss) : 50
      position = rsi < lower ? 1 : rsi > upper ? -1 : 0
    }
    states.push({avgGain, avgLoss, position})
  }
  return states.map((s) => s.position)
}

function breakout(bars, {window}) {
  const positions = []
  for (let i = 0; i < bars.length; i++) {
    let position = i === 0 ? 0 : positions[i - 1]
    if (i >= window) {
      const channel = bars.slice(i - window, i).map((b) => b.close)
      if (bars[i].close > Math.max(...channel)) position = 1
      else if (bars[i].close < Math.min(...channel)) position = -1
    }
    positions.push(position)
  }
  return positions
}

const BASES = {momentum, 'ma-crossover': maCrossover, 'rsi-reversion': rsiReversion, breakout}

function volTarget(bars, params) {
  const {base = 'momentum', target_vol = 0.15, vol_window = 20, max_leverage = 2, periods_per_year = 252} = params
  const basePositions = BASES[base](bars, params)
  const returns = bars.map((bar, i) => (i === 0 ? 0 : bar.close / bars[i - 1].close - 1))
  return basePositions.map((position, i) => {
    if (i < vol_window) return 0
    const vol = sampleStd(returns.slice(i - vol_window + 1, i + 1)) * Math.sqrt(periods_per_year)
    const scale = vol > 0 ? Math.min(max_leverage, target_vol / vol) : max_leverage
    return position * scale
  })
}

export const REFERENCE_STRATEGIES = {...BASES, 'vol-target': volTarget}

function metrics(returns, periodsPerYear) {
  const m = mean(returns)
  const std = sampleStd(returns)
  const downside = Math.sqrt(returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / returns.length)
  let equity = 1
  let peak = 1
  let maxDrawdown = 0
  for (const r of returns) {
    equity *= 1 + r
    peak = Math.max(peak, equity)
    maxDrawdown = Math.max(maxDrawdown, 1 - equity / peak)
  }
  const active = returns.filter((r) => r !== 0)
  return {
    n_periods: returns.length,
    mean_pnl: m,
    sharpe: std > 0 ? (m / std) * Math.sqrt(periodsPerYear) : 0,
    sortino: downside > 0 ? (m / downside) * Math.sqrt(periodsPerYear) : 0,
    max_drawdown: maxDrawdown,
    win_rate: active.length > 0 ? active.filter((r) => r > 0).length / active.length : 0,
    total_return: equity - 1,
  }
}

/** bars: [{date, close}]; returns the kit's walk-forward metrics. */
export function referenceBacktest(bars, strategyName, params, {costBps = 5, folds = 5, periodsPerYear = 252} = {}) {
  const positions = REFERENCE_STRATEGIES[strategyName](bars, params)
  const periods = bars.map((bar, i) => {
    if (i === 0) return {date: bar.date, net: 0, gross: 0, traded: 0}
    const held = positions[i - 1]
    const before = i >= 2 ? positions[i - 2] : 0
    const traded = Math.abs(held - before)
    const gross = held * (bar.close / bars[i - 1].close - 1)
    return {date: bar.date, gross, net: gross - (costBps / 10_000) * traded, traded}
  })
  const blockStart = (block) => 1 + Math.floor((block * (bars.length - 1)) / (folds + 1))
  const foldSharpes = []
  for (let k = 1; k <= folds; k++) {
    const test = periods.slice(blockStart(k), blockStart(k + 1))
    foldSharpes.push(
      metrics(
        test.map((p) => p.net),
        periodsPerYear,
      ).sharpe,
    )
  }
  const outOfSample = periods.slice(blockStart(1), blockStart(folds + 1))
  const inSample = periods.slice(blockStart(0), blockStart(folds))
  const oos = metrics(
    outOfSample.map((p) => p.net),
    periodsPerYear,
  )
  return {
    ...oos,
    gross_sharpe: metrics(
      outOfSample.map((p) => p.gross),
      periodsPerYear,
    ).sharpe,
    is_sharpe: metrics(
      inSample.map((p) => p.net),
      periodsPerYear,
    ).sharpe,
    sharpe_mean: mean(foldSharpes),
    sharpe_std: sampleStd(foldSharpes),
    turnover: mean(outOfSample.map((p) => p.traded)),
    positions,
  }
}
