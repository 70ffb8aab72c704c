import * as z from 'zod'
import {Checksum, IsoTime, NodeId} from './common.js'

/** deployments/paper/<id>.results.yaml: the node's strategy run forward past its backtest window */
export const PaperResultsFile = z.strictObject({
  node: NodeId,
  /** the paper deployment these results were made under (its deployed_at and file checksum) */
  deployment: z.strictObject({deployed_at: IsoTime, checksum: Checksum}),
  run_at: IsoTime,
  /** the last date of the backtest's returns.csv: paper periods are every date after it */
  backtest_end: z.string(),
  data: z.strictObject({file: z.string(), checksum: Checksum}),
  /** first and last paper period */
  from: z.string(),
  to: z.string(),
  periods: z.number().int().nonnegative(),
  periods_per_year: z.number().positive(),
  /** same conventions as the backtest's metrics: sharpe annualised with periods_per_year */
  sharpe: z.number(),
  total_return: z.number(),
  max_drawdown: z.number(),
  win_rate: z.number(),
  volatility: z.number(),
  command: z.array(z.string()),
  /** the per-period paper returns, committed beside this file */
  returns: z.strictObject({file: z.string(), checksum: Checksum}),
  checksum: Checksum,
})
export type PaperResultsFile = z.infer<typeof PaperResultsFile>
