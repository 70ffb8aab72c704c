import type {z} from 'zod'
import type Assess from '../../commands/assess.js'
import type Audit from '../../commands/audit.js'
import type Cancel from '../../commands/cancel.js'
import type Claim from '../../commands/claim.js'
import type Cycle from '../../commands/cycle.js'
import type DataGenerate from '../../commands/data/generate.js'
import type Demo from '../../commands/demo.js'
import type Deploy from '../../commands/deploy.js'
import type Design from '../../commands/design.js'
import type Graph from '../../commands/graph.js'
import type HandoffCreate from '../../commands/handoff/create.js'
import type HandoffList from '../../commands/handoff/list.js'
import type HandoffVerify from '../../commands/handoff/verify.js'
import type Init from '../../commands/init.js'
import type Paper from '../../commands/paper.js'
import type Rank from '../../commands/rank.js'
import type Report from '../../commands/report.js'
import type RulesCheck from '../../commands/rules/check.js'
import type Run from '../../commands/run.js'
import type Seed from '../../commands/seed.js'
import type Show from '../../commands/show.js'
import type Site from '../../commands/site.js'
import type StatsDsr from '../../commands/stats/dsr.js'
import type StatsMintrl from '../../commands/stats/mintrl.js'
import type StatsPbo from '../../commands/stats/pbo.js'
import type StatsPsr from '../../commands/stats/psr.js'
import type StatsSharpe from '../../commands/stats/sharpe.js'
import type Status from '../../commands/status.js'
import type Supervise from '../../commands/supervise.js'
import type Verify from '../../commands/verify.js'
import type Work from '../../commands/work.js'
import type {LogEntry} from '../../core/views/log.js'
import type * as K from './kit-results.js'
import type * as R from './results.js'

/**
 * Compile-time only: each command's TypeScript result must fit the schema its
 * --json output is checked against, so the schema cannot silently fall behind
 * a changed return type (`npm run lint` fails here first).
 */
type ResultOf<C extends abstract new (...args: any[]) => {run(): Promise<unknown>}> = Awaited<ReturnType<InstanceType<C>['run']>>
type Fits<T, S extends z.ZodType> = [T] extends [z.input<S>] ? true : never

type Checks = {
  assess: Fits<ResultOf<typeof Assess>, typeof R.AssessResult>
  audit: Fits<ResultOf<typeof Audit>, typeof R.AuditResult>
  cancel: Fits<ResultOf<typeof Cancel>, typeof R.CancelResult>
  claim: Fits<ResultOf<typeof Claim>, typeof R.ClaimResult>
  cycle: Fits<ResultOf<typeof Cycle>, typeof R.CycleResult>
  dataGenerate: Fits<ResultOf<typeof DataGenerate>, typeof K.DataGenerateResult>
  demo: Fits<ResultOf<typeof Demo>, typeof R.DemoResult>
  deploy: Fits<ResultOf<typeof Deploy>, typeof R.DeployResult>
  design: Fits<ResultOf<typeof Design>, typeof R.DesignCommandResult>
  graph: Fits<ResultOf<typeof Graph>, typeof R.GraphResult>
  handoffCreate: Fits<ResultOf<typeof HandoffCreate>, typeof R.HandoffCreateResult>
  handoffList: Fits<ResultOf<typeof HandoffList>, typeof R.HandoffListResult>
  handoffVerify: Fits<ResultOf<typeof HandoffVerify>, typeof R.HandoffVerifyResult>
  init: Fits<ResultOf<typeof Init>, typeof R.InitResult>
  log: Fits<LogEntry, typeof R.LogLine>
  paper: Fits<ResultOf<typeof Paper>, typeof R.PaperResult>
  rank: Fits<ResultOf<typeof Rank>, typeof R.RankResult>
  report: Fits<ResultOf<typeof Report>, typeof R.ReportResult>
  rules: Fits<ResultOf<typeof RulesCheck>, typeof R.RulesResult>
  run: Fits<ResultOf<typeof Run>, typeof R.RunResult>
  seed: Fits<ResultOf<typeof Seed>, typeof R.SeedResult>
  show: Fits<ResultOf<typeof Show>, typeof R.ShowResult>
  site: Fits<ResultOf<typeof Site>, typeof R.SiteResult>
  statsDsr: Fits<ResultOf<typeof StatsDsr>, typeof K.StatsDsrResult>
  statsMintrl: Fits<ResultOf<typeof StatsMintrl>, typeof K.StatsMintrlResult>
  statsPbo: Fits<ResultOf<typeof StatsPbo>, typeof K.StatsPboResult>
  statsPsr: Fits<ResultOf<typeof StatsPsr>, typeof K.StatsPsrResult>
  statsSharpe: Fits<ResultOf<typeof StatsSharpe>, typeof K.StatsSharpeResult>
  status: Fits<ResultOf<typeof Status>, typeof R.StatusResult>
  supervise: Fits<ResultOf<typeof Supervise>, typeof R.SuperviseResult>
  verify: Fits<ResultOf<typeof Verify>, typeof R.VerifyResult>
  work: Fits<ResultOf<typeof Work>, typeof R.WorkResult>
}

export const resultTypesFit: Checks = {
  assess: true,
  audit: true,
  cancel: true,
  claim: true,
  cycle: true,
  dataGenerate: true,
  demo: true,
  deploy: true,
  design: true,
  graph: true,
  handoffCreate: true,
  handoffList: true,
  handoffVerify: true,
  init: true,
  log: true,
  paper: true,
  rank: true,
  report: true,
  rules: true,
  run: true,
  seed: true,
  show: true,
  site: true,
  statsDsr: true,
  statsMintrl: true,
  statsPbo: true,
  statsPsr: true,
  statsSharpe: true,
  status: true,
  supervise: true,
  verify: true,
  work: true,
}
