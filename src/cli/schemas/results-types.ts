import type * as z from 'zod'
import type Assess from '../../commands/assess.js'
import type Audit from '../../commands/audit.js'
import type Cancel from '../../commands/cancel.js'
import type Claim from '../../commands/claim.js'
import type Cycle from '../../commands/cycle/index.js'
import type CycleCancel from '../../commands/cycle/cancel.js'
import type CycleList from '../../commands/cycle/list.js'
import type DataGenerate from '../../commands/data/generate.js'
import type Demo from '../../commands/demo.js'
import type Deploy from '../../commands/deploy.js'
import type Design from '../../commands/design.js'
import type Graph from '../../commands/graph.js'
import type HandoffCreate from '../../commands/handoff/create.js'
import type HandoffList from '../../commands/handoff/list.js'
import type HandoffVerify from '../../commands/handoff/verify.js'
import type Health from '../../commands/health.js'
import type Init from '../../commands/init.js'
import type Metrics from '../../commands/metrics.js'
import type Paper from '../../commands/paper.js'
import type Rank from '../../commands/rank.js'
import type Report from '../../commands/report.js'
import type RulesCheck from '../../commands/rules/check.js'
import type Run from '../../commands/run.js'
import type ScheduleInstall from '../../commands/schedule/install.js'
import type ScheduleRun from '../../commands/schedule/run.js'
import type ScheduleStatus from '../../commands/schedule/status.js'
import type ScheduleUninstall from '../../commands/schedule/uninstall.js'
import type Seed from '../../commands/seed.js'
import type Show from '../../commands/show.js'
import type SlurmCancel from '../../commands/slurm/cancel.js'
import type SlurmStatus from '../../commands/slurm/status.js'
import type SlurmSubmit from '../../commands/slurm/submit.js'
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
import type * as S from './schedule-results.js'

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
  cycleCancel: Fits<ResultOf<typeof CycleCancel>, typeof R.CycleCancelResult>
  cycleList: Fits<ResultOf<typeof CycleList>, typeof R.CycleListResult>
  dataGenerate: Fits<ResultOf<typeof DataGenerate>, typeof K.DataGenerateResult>
  demo: Fits<ResultOf<typeof Demo>, typeof R.DemoResult>
  deploy: Fits<ResultOf<typeof Deploy>, typeof R.DeployResult>
  design: Fits<ResultOf<typeof Design>, typeof R.DesignCommandResult>
  graph: Fits<ResultOf<typeof Graph>, typeof R.GraphResult>
  handoffCreate: Fits<ResultOf<typeof HandoffCreate>, typeof R.HandoffCreateResult>
  handoffList: Fits<ResultOf<typeof HandoffList>, typeof R.HandoffListResult>
  handoffVerify: Fits<ResultOf<typeof HandoffVerify>, typeof R.HandoffVerifyResult>
  health: Fits<ResultOf<typeof Health>, typeof R.HealthResult>
  init: Fits<ResultOf<typeof Init>, typeof R.InitResult>
  log: Fits<LogEntry, typeof R.LogLine>
  metrics: Fits<ResultOf<typeof Metrics>, typeof R.MetricsResult>
  paper: Fits<ResultOf<typeof Paper>, typeof R.PaperResult>
  rank: Fits<ResultOf<typeof Rank>, typeof R.RankResult>
  report: Fits<ResultOf<typeof Report>, typeof R.ReportResult>
  rules: Fits<ResultOf<typeof RulesCheck>, typeof R.RulesResult>
  run: Fits<ResultOf<typeof Run>, typeof R.RunResult>
  scheduleInstall: Fits<ResultOf<typeof ScheduleInstall>, typeof S.ScheduleInstallResult>
  scheduleRun: Fits<ResultOf<typeof ScheduleRun>, typeof S.ScheduleRunResult>
  scheduleStatus: Fits<ResultOf<typeof ScheduleStatus>, typeof S.ScheduleStatusResult>
  scheduleUninstall: Fits<ResultOf<typeof ScheduleUninstall>, typeof S.ScheduleUninstallResult>
  seed: Fits<ResultOf<typeof Seed>, typeof R.SeedResult>
  show: Fits<ResultOf<typeof Show>, typeof R.ShowResult>
  slurmCancel: Fits<ResultOf<typeof SlurmCancel>, typeof R.SlurmCancelResult>
  slurmStatus: Fits<ResultOf<typeof SlurmStatus>, typeof R.SlurmStatusResult>
  slurmSubmit: Fits<ResultOf<typeof SlurmSubmit>, typeof R.SlurmSubmitResult>
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
  cycleCancel: true,
  cycleList: true,
  dataGenerate: true,
  demo: true,
  deploy: true,
  design: true,
  graph: true,
  handoffCreate: true,
  handoffList: true,
  handoffVerify: true,
  health: true,
  init: true,
  log: true,
  metrics: true,
  paper: true,
  rank: true,
  report: true,
  rules: true,
  run: true,
  scheduleInstall: true,
  scheduleRun: true,
  scheduleStatus: true,
  scheduleUninstall: true,
  seed: true,
  show: true,
  slurmCancel: true,
  slurmStatus: true,
  slurmSubmit: true,
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
