import {InputError} from '../errors.js'
import {negligibleSpread} from './moments.js'
import {requireInteger} from './validate.js'

/**
 * Probability of Backtest Overfitting by combinatorially symmetric cross-validation
 * (CSCV; Bailey, Borwein, López de Prado & Zhu 2015, "The Probability of Backtest
 * Overfitting", J. Computational Finance 20(4)).
 *
 * The T×N matrix of trial returns is cut into S contiguous row blocks. Every choice
 * of S/2 blocks is an in-sample set and its complement the out-of-sample set; the
 * trial with the best in-sample Sharpe ratio is located in the out-of-sample
 * ranking, ω̄ = rank / (N + 1), and λ = ln(ω̄ / (1 - ω̄)). PBO is the share of
 * combinations with λ <= 0: the in-sample winner did no better than the median
 * out of sample.
 */

/** The paper's recommended number of blocks. */
export const DEFAULT_CSCV_SPLITS = 16
/** C(20, 10) = 184,756 combinations; beyond this the run time grows past usefulness. */
export const MAX_CSCV_SPLITS = 20

export interface PboOptions {
  /** S, the number of row blocks: even, 2..20; default 16. */
  splits?: number
}

export interface PerformancePair {
  /** Per-period Sharpe ratio of the selected trial in sample. */
  inSample: number
  /** Per-period Sharpe ratio of the same trial out of sample. */
  outOfSample: number
}

export interface PboResult {
  pbo: number
  /** λ for every combination, in the order the combinations are generated. */
  logits: number[]
  nTrials: number
  nSplits: number
  /** Rows in the matrix given. */
  nRows: number
  /** Rows used: the oldest T mod S rows are dropped so all blocks have equal length. */
  rowsUsed: number
  combinations: number
  /** Share of combinations whose selected trial lost money out of sample (Sharpe < 0). */
  probabilityOfLoss: number
  /** In-sample against out-of-sample Sharpe ratio of each selected trial. */
  degradation: PerformancePair[]
  /** Least-squares line outOfSample = slope·inSample + intercept; null when it is undefined. */
  degradationFit: {slope: number; intercept: number} | null
  /** Column index of the in-sample winner in each combination. */
  selectedTrials: number[]
}

/**
 * @param returns rows are periods (oldest first), columns are trials
 */
export function probabilityOfBacktestOverfitting(returns: readonly (readonly number[])[], options: PboOptions = {}): PboResult {
  const {nRows, nTrials} = validateMatrix(returns)
  const splits = validateSplits(options.splits ?? DEFAULT_CSCV_SPLITS, nRows)

  // Equal blocks keep in-sample and out-of-sample sets the same length, which the
  // method's symmetry argument needs; the dropped rows are the oldest ones.
  const blockLength = Math.floor(nRows / splits)
  const firstRow = nRows - blockLength * splits
  const {blockMean, blockM2} = blockStatistics(returns, firstRow, blockLength, splits, nTrials)

  const half = splits / 2
  const inSample = new Float64Array(nTrials)
  const outOfSample = new Float64Array(nTrials)
  const isInSample = new Uint8Array(splits)
  const inBlocks: number[] = new Array(half)
  const outBlocks: number[] = new Array(half)

  const logits: number[] = []
  const degradation: PerformancePair[] = []
  const selectedTrials: number[] = []
  let overfit = 0
  let losses = 0

  for (const combination of combinations(splits, half)) {
    isInSample.fill(0)
    for (const b of combination) isInSample[b] = 1
    let i = 0
    let o = 0
    for (let b = 0; b < splits; b++) {
      if (isInSample[b]) inBlocks[i++] = b
      else outBlocks[o++] = b
    }
    for (let n = 0; n < nTrials; n++) {
      inSample[n] = pooledSharpe(blockMean, blockM2, inBlocks, n, nTrials, blockLength)
      outOfSample[n] = pooledSharpe(blockMean, blockM2, outBlocks, n, nTrials, blockLength)
    }

    let best = 0
    for (let n = 1; n < nTrials; n++) if (inSample[n] > inSample[best]) best = n

    const relativeRank = midRank(outOfSample, outOfSample[best]) / (nTrials + 1)
    const logit = Math.log(relativeRank / (1 - relativeRank))
    logits.push(logit)
    if (logit <= 0) overfit++
    if (outOfSample[best] < 0) losses++
    degradation.push({inSample: inSample[best], outOfSample: outOfSample[best]})
    selectedTrials.push(best)
  }

  return {
    pbo: overfit / logits.length,
    logits,
    nTrials,
    nSplits: splits,
    nRows,
    rowsUsed: blockLength * splits,
    combinations: logits.length,
    probabilityOfLoss: losses / logits.length,
    degradation,
    degradationFit: fitDegradation(degradation),
    selectedTrials,
  }
}

/**
 * The S to use for a matrix of `nRows` rows: the requested value, lowered to the
 * largest even number the rows allow (each half-sample needs two rows for a
 * standard deviation). Throws when not even S = 2 fits.
 */
export function usableSplits(nRows: number, requested = DEFAULT_CSCV_SPLITS): number {
  let splits = Math.min(requested, MAX_CSCV_SPLITS, nRows)
  if (splits % 2 === 1) splits--
  while (splits >= 2 && Math.floor(nRows / splits) * (splits / 2) < 2) splits -= 2
  if (splits < 2) {
    throw new InputError(`${nRows} rows are too few for cross-validation`, {field: 'returns', fix: 'supply at least 4 rows of returns'})
  }
  return splits
}

/** All k-element subsets of {0, …, n-1} in lexicographic order. */
export function* combinations(n: number, k: number): Generator<number[]> {
  if (k < 0 || k > n) return
  const current = Array.from({length: k}, (_, i) => i)
  while (true) {
    yield current.slice()
    let i = k - 1
    while (i >= 0 && current[i] === n - k + i) i--
    if (i < 0) return
    current[i]++
    for (let j = i + 1; j < k; j++) current[j] = current[j - 1] + 1
  }
}

/** C(n, k), exact for the sizes used here. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0
  let result = 1
  for (let i = 1; i <= Math.min(k, n - k); i++) result = (result * (n - Math.min(k, n - k) + i)) / i
  return Math.round(result)
}

function validateMatrix(returns: readonly (readonly number[])[]): {nRows: number; nTrials: number} {
  const fix = 'give one column of returns per trial and one row per period, with no gaps'
  if (!Array.isArray(returns) || returns.length < 4) {
    throw new InputError(`needs at least 4 rows, got ${Array.isArray(returns) ? returns.length : 0}`, {field: 'returns', fix})
  }
  const nTrials = returns[0].length
  if (nTrials < 2) {
    throw new InputError(`needs at least 2 trials (columns), got ${nTrials}`, {
      field: 'returns',
      fix: 'PBO compares trials; give every configuration that was tried, one column each',
    })
  }
  for (let r = 0; r < returns.length; r++) {
    const row = returns[r]
    if (row.length !== nTrials)
      throw new InputError(`row ${r + 1} has ${row.length} values, the first row has ${nTrials}`, {field: 'returns', fix})
    for (let n = 0; n < nTrials; n++) {
      if (!Number.isFinite(row[n]))
        throw new InputError(`row ${r + 1}, trial ${n + 1} is ${String(row[n])}, not a finite number`, {field: 'returns', fix})
    }
  }
  return {nRows: returns.length, nTrials}
}

function validateSplits(splits: number, nRows: number): number {
  requireInteger(splits, 'splits', 2)
  if (splits % 2 !== 0) {
    throw new InputError(`must be even, got ${splits}`, {
      field: 'splits',
      fix: 'CSCV splits the blocks into two equal halves; use an even number such as 16',
    })
  }
  if (splits > MAX_CSCV_SPLITS) {
    throw new InputError(`${splits} splits mean ${binomial(splits, splits / 2)} combinations`, {
      field: 'splits',
      fix: `use at most ${MAX_CSCV_SPLITS} splits; 16, the paper's choice, is the default`,
    })
  }
  if (splits > nRows || Math.floor(nRows / splits) * (splits / 2) < 2) {
    throw new InputError(`${splits} splits need more than the ${nRows} rows given`, {
      field: 'splits',
      fix: `use at most ${usableSplits(nRows, splits)} splits for ${nRows} rows, or supply more rows`,
    })
  }
  return splits
}

/** Per block and trial: mean and sum of squared deviations (flattened block-major). */
function blockStatistics(
  returns: readonly (readonly number[])[],
  firstRow: number,
  blockLength: number,
  splits: number,
  nTrials: number,
): {blockMean: Float64Array; blockM2: Float64Array} {
  const blockMean = new Float64Array(splits * nTrials)
  const blockM2 = new Float64Array(splits * nTrials)
  for (let b = 0; b < splits; b++) {
    const start = firstRow + b * blockLength
    for (let n = 0; n < nTrials; n++) {
      let sum = 0
      for (let t = start; t < start + blockLength; t++) sum += returns[t][n]
      const mu = sum / blockLength
      let m2 = 0
      for (let t = start; t < start + blockLength; t++) m2 += (returns[t][n] - mu) ** 2
      blockMean[b * nTrials + n] = mu
      blockM2[b * nTrials + n] = m2
    }
  }
  return {blockMean, blockM2}
}

/**
 * Sharpe ratio of trial n over the union of equal-length blocks, pooled from the
 * blocks' means and squared deviations: this keeps each of the C(S, S/2)
 * combinations at O(S) per trial instead of O(T).
 */
function pooledSharpe(
  blockMean: Float64Array,
  blockM2: Float64Array,
  blocks: readonly number[],
  n: number,
  nTrials: number,
  blockLength: number,
): number {
  let meanSum = 0
  for (const b of blocks) meanSum += blockMean[b * nTrials + n]
  const mu = meanSum / blocks.length
  let m2 = 0
  for (const b of blocks) {
    const d = blockMean[b * nTrials + n] - mu
    m2 += blockM2[b * nTrials + n] + blockLength * d * d
  }
  const count = blocks.length * blockLength
  const std = Math.sqrt(m2 / (count - 1))
  // a trial that never moves (e.g. never trades) ranks by the sign of its mean alone
  if (negligibleSpread(std, mu)) return mu === 0 ? 0 : mu > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
  return mu / std
}

/** 1-based rank of `value` among `values`, ties sharing their mean rank. */
function midRank(values: Float64Array, value: number): number {
  let below = 0
  let equal = 0
  for (const v of values) {
    if (v < value) below++
    else if (v === value) equal++
  }
  return below + (equal + 1) / 2
}

function fitDegradation(pairs: readonly PerformancePair[]): {slope: number; intercept: number} | null {
  const finite = pairs.filter((p) => Number.isFinite(p.inSample) && Number.isFinite(p.outOfSample)).map((p) => [p.inSample, p.outOfSample])
  if (finite.length < 2) return null
  const {m, b} = leastSquaresLine(finite)
  return Number.isFinite(m) && Number.isFinite(b) ? {slope: m, intercept: b} : null
}

/** The least-squares line y = m·x + b through the points (not finite when every x is the same). */
function leastSquaresLine(points: number[][]): {m: number; b: number} {
  const n = points.length
  let sumX = 0
  let sumY = 0
  for (const [x, y] of points) {
    sumX += x!
    sumY += y!
  }
  const meanX = sumX / n
  const meanY = sumY / n
  // centred sums: the textbook n·Σxy − Σx·Σy form loses digits to cancellation
  let sxy = 0
  let sxx = 0
  for (const [x, y] of points) {
    sxy += (x! - meanX) * (y! - meanY)
    sxx += (x! - meanX) ** 2
  }
  const m = sxy / sxx
  return {m, b: meanY - m * meanX}
}
