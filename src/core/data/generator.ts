import {stringify} from 'csv-stringify/sync'
import {unsafeSkipN, xoroshiro128plus, type RandomGenerator} from 'pure-rand'
import * as z from 'zod'
import {InputError} from '../errors.js'

/**
 * Seeded synthetic daily prices with the stylised facts of real markets, so the
 * demo and the tests can do research offline on data whose structure is known.
 *
 * Each business day t (log returns, daily units):
 *
 *   regime      s_t in {0, 1}, a Markov chain: P(s_t = s_{t-1}) = regimes[s].persistence
 *   variance    h_t = ω_s + α ε²_{t-1} + β h_{t-1}         GARCH(1,1), ω_s = v_s (1 - α - β),
 *                                                          so h reverts to the regime's variance
 *                                                          v_s = volatility_s² / 252
 *   shock       ε_t = sqrt(h_t) z_t,  z_t ~ Student-t(ν) scaled to unit variance (fat tails)
 *   efficient   ℓ_t = ℓ_{t-1} + drift_s / 252 + ε_t
 *   transient   u_t = ρ u_{t-1} + σ_u sqrt(h_t / v_0) w_t,  ρ = 2^(-1/half_life), w_t a second
 *                                                          unit-variance t draw: an Ornstein-Uhlenbeck
 *                                                          pricing error, off when σ_u = 0, as fat-tailed
 *                                                          and as clustered as the efficient shocks
 *   close       C_t = start_price · exp(ℓ_t + u_t)
 *
 * Open, high, low and volume dress the close the way a real bar looks: the open
 * gaps from the previous close by 0.2 σ_t n, the high and low reach past the
 * open/close body by half a day's σ times |n|, and volume is lognormal, larger
 * on big moves. Prices are rounded to 4 decimals (what the CSV holds), so the
 * arrays returned are exactly what a reader of the file gets back.
 *
 * Regime persistence gives trends that momentum, crossovers and breakouts can
 * ride; the transient term gives the reversals an RSI rule can fade; GARCH gives
 * volatility clustering (the squared returns are autocorrelated) and the t
 * shocks give kurtosis above 3. Shuffling the daily returns keeps their
 * distribution (the fat tails) and destroys everything that lives in their order
 * (regimes, clustering, reversals), which is what the auditor's permutation
 * check relies on.
 *
 * Dates are consecutive weekdays (the generator knows no holidays); `years`
 * means 252 of them per year.
 */

const Regime = z.strictObject({
  /** annualised drift of the log price */
  drift: z.number(),
  /** annualised volatility the GARCH variance reverts to */
  volatility: z.number().positive(),
  /** probability of staying in this regime from one day to the next */
  persistence: z.number().gt(0).lt(1),
})

export const MarketModel = z
  .strictObject({
    description: z.string(),
    regimes: z.tuple([Regime, Regime]),
    garch: z.strictObject({alpha: z.number().min(0), beta: z.number().min(0)}),
    /** degrees of freedom of the Student-t shocks; > 2 so their variance exists */
    tail_dof: z.number().gt(2),
    reversion: z.strictObject({half_life: z.number().positive(), volatility: z.number().min(0)}),
    start_price: z.number().positive(),
    base_volume: z.number().positive(),
  })
  .refine((m) => m.garch.alpha + m.garch.beta < 1, {message: 'garch alpha + beta must be below 1 (a stationary variance)', path: ['garch']})
export type MarketModel = z.infer<typeof MarketModel>

const TRADING_DAYS = 252

/** The models behind the bundled symbols (data/README.md). */
export const MARKET_MODELS: Readonly<Record<string, MarketModel>> = {
  'SYNTH-A': {
    description: 'trending: long calm bull spells broken by shorter, violent bear regimes',
    regimes: [
      {drift: 0.2, volatility: 0.13, persistence: 0.996},
      {drift: -0.35, volatility: 0.3, persistence: 0.99},
    ],
    garch: {alpha: 0.07, beta: 0.9},
    tail_dof: 5,
    reversion: {half_life: 5, volatility: 0},
    start_price: 100,
    base_volume: 2_000_000,
  },
  'SYNTH-B': {
    description: 'mean-reverting: little drift, a transient pricing error that fades over a few days',
    regimes: [
      {drift: 0.04, volatility: 0.12, persistence: 0.99},
      {drift: 0.02, volatility: 0.22, persistence: 0.97},
    ],
    garch: {alpha: 0.06, beta: 0.9},
    tail_dof: 6,
    reversion: {half_life: 4, volatility: 0.011},
    start_price: 50,
    base_volume: 800_000,
  },
  'SYNTH-C': {
    description: 'efficient control: volatility regimes and fat tails but the same drift in both regimes, so no edge to find',
    regimes: [
      {drift: 0.06, volatility: 0.16, persistence: 0.99},
      {drift: 0.06, volatility: 0.35, persistence: 0.97},
    ],
    garch: {alpha: 0.08, beta: 0.9},
    tail_dof: 4,
    reversion: {half_life: 5, volatility: 0},
    start_price: 250,
    base_volume: 5_000_000,
  },
}

export const GenerateOptions = z.strictObject({
  seed: z.int().min(0).max(0xffff_ffff).default(0),
  years: z.number().positive().max(200).default(10),
  /** the first business day, YYYY-MM-DD (moved forward to a weekday) */
  start: z.iso.date().default('2015-01-02'),
  /** a name from MARKET_MODELS, or a model */
  model: z.union([z.string(), MarketModel]).default('SYNTH-A'),
})
export type GenerateOptions = z.input<typeof GenerateOptions>

export interface GeneratedPrices {
  readonly dates: string[]
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
  /** the hidden regime of each day (0 or 1), for tests and teaching; not written to the CSV */
  readonly regimes: Uint8Array
}

/** Generate `years` of daily bars; the same options always give the same bars. */
export function generatePrices(options: GenerateOptions = {}): GeneratedPrices {
  const parsed = GenerateOptions.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue.path.join('.')
    throw new InputError(
      field === 'start' ? `${JSON.stringify(options.start)} is not a date: ${issue.message}` : issue.message,
      field === 'start' ? {field, fix: 'give the first day as YYYY-MM-DD, a day of the calendar (e.g. 2015-01-02)'} : {field},
    )
  }
  const {seed, years, start} = parsed.data
  const model = resolveModel(parsed.data.model)
  const bars = Math.max(2, Math.round(years * TRADING_DAYS))
  const random = new SeededRandom(seed)

  const dates = businessDays(start, bars)
  // past year 9999 toISOString writes +010000-01-03, which no reader takes for a date
  if (!/^\d{4}-/.test(dates.at(-1)!))
    throw new InputError(`${bars} business days from ${start} run past 9999-12-31`, {
      field: 'start',
      fix: 'give an earlier start or fewer years',
    })
  const open = new Float64Array(bars)
  const high = new Float64Array(bars)
  const low = new Float64Array(bars)
  const close = new Float64Array(bars)
  const volume = new Float64Array(bars)
  const regimes = new Uint8Array(bars)

  const {alpha, beta} = model.garch
  const dailyVariance = model.regimes.map((r) => (r.volatility * r.volatility) / TRADING_DAYS)
  const omega = dailyVariance.map((v) => v * (1 - alpha - beta))
  const tailScale = Math.sqrt((model.tail_dof - 2) / model.tail_dof)
  const rho = 2 ** (-1 / model.reversion.half_life)
  const calmSigma = Math.sqrt(dailyVariance[0])

  // start calm, at the calm regime's long-run variance, with no pricing error
  let regime = 0
  let variance = dailyVariance[0]
  let shock = 0
  let efficient = 0
  let transient = 0
  let previousClose = round4(model.start_price)
  for (let t = 0; t < bars; t++) {
    if (t > 0) {
      if (random.uniform() > model.regimes[regime].persistence) regime = 1 - regime
      variance = omega[regime] + alpha * shock * shock + beta * variance
      shock = Math.sqrt(variance) * tailScale * random.studentT(model.tail_dof)
      efficient += model.regimes[regime].drift / TRADING_DAYS + shock
      if (model.reversion.volatility > 0) {
        const stress = Math.sqrt(variance / dailyVariance[0])
        transient = rho * transient + model.reversion.volatility * stress * tailScale * random.studentT(model.tail_dof)
      }
    }
    const sigma = Math.sqrt(variance)
    const closePrice = round4(model.start_price * Math.exp(efficient + transient))
    const openPrice = t === 0 ? closePrice : round4(previousClose * Math.exp(0.2 * sigma * random.normal()))
    const body = Math.max(openPrice, closePrice)
    const floor = Math.min(openPrice, closePrice)
    regimes[t] = regime
    close[t] = closePrice
    open[t] = openPrice
    high[t] = Math.max(body, round4(body * Math.exp(0.5 * sigma * Math.abs(random.normal()))))
    low[t] = Math.min(floor, round4(floor * Math.exp(-0.5 * sigma * Math.abs(random.normal()))))
    const surprise = sigma > 0 ? Math.abs(shock) / sigma : 0
    volume[t] = Math.round(model.base_volume * Math.exp(0.3 * random.normal()) * (0.6 + 0.4 * surprise) * Math.sqrt(sigma / calmSigma))
    previousClose = closePrice
  }
  return {dates, open, high, low, close, volume, regimes}
}

/** The CSV a reader (loadPrices) accepts: date,open,high,low,close,volume. */
export function pricesToCsv(prices: GeneratedPrices): string {
  const rows: (string | number)[][] = []
  for (let t = 0; t < prices.close.length; t++) {
    rows.push([
      prices.dates[t],
      prices.open[t].toFixed(4),
      prices.high[t].toFixed(4),
      prices.low[t].toFixed(4),
      prices.close[t].toFixed(4),
      prices.volume[t],
    ])
  }
  return stringify(rows, {header: true, columns: ['date', 'open', 'high', 'low', 'close', 'volume']})
}

function resolveModel(model: string | MarketModel): MarketModel {
  if (typeof model !== 'string') return model
  const found = Object.hasOwn(MARKET_MODELS, model) ? MARKET_MODELS[model] : undefined
  if (found === undefined) {
    throw new InputError(`unknown market model "${model}"`, {field: 'symbol', fix: `use one of: ${Object.keys(MARKET_MODELS).join(', ')}`})
  }
  return found
}

const round4 = (price: number): number => Math.round(price * 10_000) / 10_000

/** `count` consecutive weekdays from `start` (moved forward to a Monday if it is a weekend), as YYYY-MM-DD. */
export function businessDays(start: string, count: number): string[] {
  const day = new Date(`${start}T00:00:00Z`)
  const dates: string[] = []
  while (dates.length < count) {
    const weekday = day.getUTCDay()
    if (weekday !== 0 && weekday !== 6) dates.push(day.toISOString().slice(0, 10))
    day.setUTCDate(day.getUTCDate() + 1)
  }
  return dates
}

/**
 * The draws the model needs, all from one xoroshiro128+ stream (pure-rand), so a
 * seed fixes every number. Normals by Box-Muller, gammas by Marsaglia-Tsang.
 */
export class SeededRandom {
  private readonly rng: RandomGenerator
  private spareNormal: number | undefined

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed)
    // the first outputs of neighbouring seeds are correlated; a short burn-in decorrelates them
    unsafeSkipN(this.rng, 64)
  }

  /** Uniform in the open interval (0, 1), 53 bits. */
  uniform(): number {
    const high = this.rng.unsafeNext() >>> 5 // 27 bits
    const low = this.rng.unsafeNext() >>> 6 // 26 bits
    return (high * 67_108_864 + low + 0.5) / 9_007_199_254_740_992
  }

  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal
      this.spareNormal = undefined
      return spare
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()))
    const angle = 2 * Math.PI * this.uniform()
    this.spareNormal = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }

  /** Gamma(shape, 1). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.uniform() ** (1 / shape)
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      const x = this.normal()
      const v = (1 + c * x) ** 3
      if (v <= 0) continue
      if (Math.log(this.uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
    }
  }

  /** Student-t with `dof` degrees of freedom: a normal over sqrt(chi²(dof) / dof). */
  studentT(dof: number): number {
    const chiSquared = 2 * this.gamma(dof / 2)
    return this.normal() / Math.sqrt(chiSquared / dof)
  }
}
