import {InputError} from '../errors.js'

/**
 * Input checks shared by the statistics. Each raises an InputError that names the
 * offending field, so a CLI flag or a CSV column can be pointed at directly.
 */

export function requireFinite(value: number, field: string, fix = `give ${field} as a finite number`): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${String(value)} is not a finite number`, {field, fix})
  }
  return value
}

export function requireInteger(value: number, field: string, min: number): number {
  requireFinite(value, field)
  if (!Number.isInteger(value) || value < min) {
    throw new InputError(`must be a whole number >= ${min}, got ${value}`, {
      field,
      fix: `give ${field} as a whole number of at least ${min}`,
    })
  }
  return value
}

export function requireSeries(values: readonly number[], field: string, minLength: number): readonly number[] {
  if (!Array.isArray(values) || values.length < minLength) {
    throw new InputError(`needs at least ${minLength} observations, got ${Array.isArray(values) ? values.length : 0}`, {
      field,
      fix: `supply a return series with ${minLength} or more values`,
    })
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InputError(`observation ${i + 1} is ${String(values[i])}, not a finite number`, {
        field,
        fix: 'remove or repair missing and non-numeric returns before computing statistics',
      })
    }
  }
  return values
}

/**
 * Skewness and plain kurtosis of any distribution satisfy kurtosis >= skewness² + 1
 * (Pearson's inequality). Checking it catches the commonest mistake, passing excess
 * kurtosis (0 for a normal) where the papers' plain kurtosis (3) is meant, and it
 * guarantees the Sharpe ratio's variance term below is not negative.
 */
export function requireMoments(skewness: number, kurtosis: number): void {
  requireFinite(skewness, 'skewness')
  requireFinite(kurtosis, 'kurtosis')
  const floor = skewness * skewness + 1
  if (kurtosis < floor - 1e-9) {
    throw new InputError(
      `kurtosis ${kurtosis} is impossible with skewness ${skewness}: any distribution has kurtosis >= skewness² + 1 = ${round(floor)}`,
      {
        field: 'kurtosis',
        fix: 'give plain kurtosis (3 for a normal distribution), not excess kurtosis; add 3 to an excess-kurtosis figure',
      },
    )
  }
}

export function requireProbability(value: number, field: string): number {
  requireFinite(value, field)
  if (value <= 0 || value >= 1) {
    throw new InputError(`must lie strictly between 0 and 1, got ${value}`, {field, fix: `give ${field} as a probability such as 0.95`})
  }
  return value
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6
}
