import * as z from 'zod'

/** The --json results of the kits (stats, data, backtest): computations on files, no workspace. See results.ts. */

const strict = z.strictObject

const perPeriod = {periods_per_year: z.number().nullable(), returns_file: z.string().nullable()}
export const StatsSharpeResult = strict({
  sharpe: z.number(),
  standard_error: z.number(),
  sharpe_per_period: z.number(),
  standard_error_per_period: z.number(),
  n_obs: z.number().int(),
  skew: z.number(),
  kurtosis: z.number(),
  ...perPeriod,
})
export const StatsPsrResult = strict({
  psr: z.number(),
  z: z.number(),
  sharpe: z.number(),
  sharpe_per_period: z.number(),
  benchmark: z.number(),
  benchmark_per_period: z.number(),
  n_obs: z.number().int(),
  skew: z.number(),
  kurtosis: z.number(),
  ...perPeriod,
})
export const StatsDsrResult = strict({
  dsr: z.number(),
  sr0: z.number(),
  sr0_per_period: z.number(),
  sharpe: z.number(),
  sharpe_per_period: z.number(),
  n_trials: z.number().int(),
  var_trials: z.number(),
  var_trials_per_period: z.number(),
  n_obs: z.number().int(),
  skew: z.number(),
  kurtosis: z.number(),
  ...perPeriod,
})
export const StatsMintrlResult = strict({
  mintrl: z.number(),
  mintrl_years: z.number().nullable(),
  sharpe: z.number(),
  sharpe_per_period: z.number(),
  benchmark: z.number(),
  benchmark_per_period: z.number(),
  skew: z.number(),
  kurtosis: z.number(),
  confidence: z.number(),
  n_obs: z.number().int().nullable(),
  long_enough: z.boolean().nullable(),
  ...perPeriod,
})
export const StatsPboResult = strict({
  pbo: z.number(),
  logits: z.array(z.number()),
  n_trials: z.number().int(),
  n_splits: z.number().int(),
  splits_requested: z.number().int(),
  combinations: z.number().int(),
  n_rows: z.number().int(),
  rows_used: z.number().int(),
  probability_of_loss: z.number(),
  degradation: strict({slope: z.number(), intercept: z.number()}).nullable(),
  selected: z.record(z.string(), z.number().int()),
  returns_file: z.string(),
})

export const DataGenerateResult = strict({
  file: z.string(),
  symbol: z.string(),
  seed: z.number().int(),
  years: z.number().int(),
  rows: z.number().int(),
  first: z.string(),
  last: z.string(),
})

/** The kit's metrics: a record of numbers (the strategy decides which beyond the common ones). */
export const BacktestResult = z.record(z.string(), z.number())
