export {
  mean,
  standardDeviation,
  skewness,
  kurtosis,
  moments,
  negligibleSpread,
  sharpeOrZero,
  RELATIVE_STD_TOLERANCE,
  ABSOLUTE_STD_TOLERANCE,
  type Moments,
} from './moments.js'
export {
  sharpeRatio,
  estimateSharpe,
  sharpeStandardError,
  sharpeVarianceFactor,
  annualiseSharpe,
  perPeriodSharpe,
  type SharpeEstimate,
  type SharpeOptions,
  type SharpeMomentsInput,
} from './sharpe.js'
export {probabilisticSharpeRatio, probabilisticSharpeStatistic, type ProbabilisticSharpeInput} from './psr.js'
export {
  EULER_MASCHERONI,
  expectedMaximumSharpe,
  deflatedSharpeRatio,
  varianceOfSharpeRatios,
  type ExpectedMaximumSharpeInput,
  type DeflatedSharpeInput,
  type DeflatedSharpeResult,
} from './dsr.js'
export {minimumTrackRecordLength, type MinimumTrackRecordInput} from './mintrl.js'
export {
  probabilityOfBacktestOverfitting,
  usableSplits,
  combinations,
  binomial,
  DEFAULT_CSCV_SPLITS,
  MAX_CSCV_SPLITS,
  type PboOptions,
  type PboResult,
  type PerformancePair,
} from './pbo.js'
export {readReturnsColumn, readReturnsMatrix, type ReturnsColumn, type ReturnsMatrix} from './returns-csv.js'
export {standardNormalCdf, standardNormalQuantile} from './normal.js'
