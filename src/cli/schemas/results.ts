import * as z from 'zod'
import {
  AuditFrontMatter,
  CycleStepRecord,
  DeployStage,
  HandoffFile,
  HoldoutOpening,
  NODE_STATUSES,
  NodeFile,
  RankingFile,
  VerdictFile,
} from '../../core/schemas/index.js'
import {
  BacktestResult,
  DataGenerateResult,
  StatsDsrResult,
  StatsMintrlResult,
  StatsPboResult,
  StatsPsrResult,
  StatsSharpeResult,
} from './kit-results.js'
import {ScheduleInstallResult, ScheduleRunResult, ScheduleStatusResult, ScheduleUninstallResult} from './schedule-results.js'

/**
 * The `--json` result of every command that has one: the interface scripts and
 * CI read. schemas/output/<command>.schema.json is generated from these (npm run
 * schemas), and test/integration/json-output.test.ts checks each command's real
 * output against the committed file, so a changed result is a visible diff in
 * review. Objects are strict: a new field fails the test until it is added here.
 * results-types.ts checks at compile time that each command's TypeScript return
 * type fits its schema.
 */

const strict = z.strictObject
const counts = strict(
  Object.fromEntries(NODE_STATUSES.map((s) => [s, z.number().int().nonnegative()])) as Record<(typeof NODE_STATUSES)[number], z.ZodNumber>,
)
const commit = z.string()
const sha = commit.optional()
/** a deploy stage's command as it ran; left_behind: the processes it left running when it exited, which rigor stopped */
const command = strict({
  argv: z.array(z.string()),
  exit_code: z.number().int().nullable(),
  output: z.string(),
  left_behind: z.number().int().nonnegative(),
})

/** The error every command prints under --json when it fails. */
export const ErrorResult = strict({
  error: strict({
    type: z.string(),
    message: z.string(),
    fix: z.string().optional(),
    exit: z.number().int(),
    /** exit 3 only: why there was nothing to do (`rigor claim`: empty, blocked or budget_exhausted) */
    reason: z.string().optional(),
  }),
})

export const StatusResult = strict({
  total: z.number().int().nonnegative(),
  by_status: counts,
  by_team: z.record(z.string(), counts.partial()),
  sweeps: z.number().int().nonnegative(),
  archived: z.number().int().nonnegative(),
  problems: z.array(strict({file: z.string(), kind: z.string(), message: z.string()})),
  commit: commit.nullable(),
  config_draft: z.boolean(),
  /** state files edited in this working tree and not committed (status counts the committed versions) */
  local_edits: z.array(z.string()),
  /** finished nodes whose stage inputs changed upstream since they ran */
  stale: z.array(strict({id: z.string(), why: z.string()})),
})

export const ShowResult = NodeFile.extend({
  verdict: VerdictFile.nullable(),
  audits: z.array(z.record(z.string(), z.unknown())),
  lineage: z.array(z.string()),
  children: z.array(z.string()),
  /** inputs whose upstream changed since this node ran, or is stale itself */
  stale: z.array(strict({as: z.string(), from: z.string(), why: z.string()})),
  /** nodes that read this node's outputs through inputs: */
  read_by: z.array(z.string()),
  /** its verdict file when it cannot be used (the node is shown without it): why, and the command that restores it */
  problems: z.array(strict({file: z.string(), kind: z.string(), message: z.string(), fix: z.string()})),
  holdout: strict({
    family: z.string(),
    openings: z.array(
      HoldoutOpening.pick({node: true, opened_at: true, by: true, passed: true, sharpe: true, sealed: true}).extend({file: z.string()}),
    ),
    unreadable: z.array(z.string()),
  }).optional(),
})

/** One line of `rigor log --json` (JSON lines: one object per state commit). */
export const LogLine = strict({
  commit,
  time: z.string(),
  action: z.string(),
  nodes: z.array(z.string()),
  worker: z.string().optional(),
  subject: z.string(),
  trailers: z.record(z.string(), z.string()),
})

export const ClaimResult = strict({claimed: NodeFile})

export const SeedResult = strict({added: z.array(z.string()), existing: z.array(z.string()), sweeps: z.array(z.string())})

const VerifyReport = strict({
  ok: z.boolean(),
  checked: z.number().int().nonnegative(),
  problems: z.array(
    strict({file: z.string(), where: z.enum(['committed', 'working tree']), kind: z.enum(['corrupt', 'invalid']), message: z.string()}),
  ),
  commit: commit.nullable(),
  index: strict({behind: z.array(z.string()), repaired: z.number().int().nonnegative(), kept: z.array(z.string())}).nullable(),
  removed_temp_objects: z.array(z.string()),
  removed_scratch: z.array(z.string()),
  removed_copies: z.array(z.string()),
  stale: z.array(strict({id: z.string(), why: z.string()})),
  hand_changes: z.array(
    strict({path: z.string(), commit, change: z.enum(['added', 'removed', 'changed']), rigor_commit: commit.nullable()}),
  ),
})
const SignatureReport = strict({
  ok: z.boolean(),
  auditors: z.array(z.string()),
  chain: z.array(
    strict({
      commit,
      change: z.enum(['first', 'signed', 'ignored']),
      names: z.array(z.string()),
      signer: z.string().optional(),
      why: z.string().optional(),
    }),
  ),
  unsigned_sections: z.array(strict({section: z.enum(['audit', 'holdout', 'deploy']), commit, why: z.string()})),
  files: z.array(
    strict({
      file: z.string(),
      kind: z.enum(['audit', 'deployment', 'paper_results']),
      status: z.enum([
        'good',
        'unsigned',
        'unknown_key',
        'bad',
        'changed_after_signing',
        'wrong_signer',
        'removed',
        'removed_after_signing',
        'not_checked',
      ]),
      signer: z.string().optional(),
      commit: sha,
      detail: z.string(),
      failed: z.boolean(),
    }),
  ),
  commit: commit.nullable(),
})
/** `rigor verify`, or with --signatures the signature report. */
export const VerifyResult = z.union([VerifyReport, SignatureReport])

const Ranking = RankingFile.omit({checksum: true})
/** why a ranking recorded nothing, and what to do */
const NothingToRank = strict({why: z.string(), fix: z.string()})
export const RankResult = z.union([
  strict({
    /** null: nothing to rank (no accepted node with a usable verdict), nothing recorded; nothing_to_rank says why */
    file: z.string().nullable(),
    ranking: Ranking,
    skipped: z.array(strict({id: z.string(), file: z.string(), kind: z.string(), message: z.string()})),
    nothing_to_rank: NothingToRank.optional(),
    commit: sha,
  }),
  strict({
    history: z.array(RankingFile.extend({file: z.string()})),
    unusable: z.array(strict({file: z.string(), problem: z.string()})),
  }),
])

const DayActivity = strict({
  seeded: z.number().int(),
  run: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  inconclusive: z.number().int(),
  archived: z.number().int(),
  audited: z.number().int(),
  deployed: z.number().int(),
})
const Top = z.array(strict({id: z.string(), team: z.string(), value: z.number()}))
export const ReportResult = strict({
  report: strict({
    date: z.string(),
    generated_at: z.string(),
    activity: DayActivity,
    top: strict({return: Top, sharpe: Top, drawdown: Top}),
    trend: z.array(DayActivity.extend({date: z.string()})),
    budget: strict({spent_usd: z.number(), daily_usd: z.number().nullable()}),
    audit_backlog: z.number().int().nonnegative(),
    failed_audit_rate: z.number().nullable(),
    stuck: z.number().int().nonnegative(),
    health_score: z.number(),
    health_formula: z.string(),
    deployments: z.array(
      strict({
        node: z.string(),
        stage: z.string(),
        deployed_at: z.string(),
        audit: z.string(),
        signed_by: z.string().nullable(),
        holdout: z.string().nullable(),
      }),
    ),
  }),
  files: z.array(z.string()),
})

export const AuditResult = AuditFrontMatter.omit({checksum: true}).extend({file: z.string()})

const GateCondition = strict({name: z.string(), ok: z.boolean(), detail: z.string(), fix: z.string().optional()})
export const DeployResult = z.union([
  strict({
    node: z.string(),
    stage: DeployStage,
    file: z.string(),
    by: z.string(),
    deployed_at: z.string(),
    audit: z.string(),
    conditions: z.array(GateCondition),
    command: command.optional(),
    commit: sha,
    audit_signer: z.string().optional(),
    signed: z.boolean(),
    warnings: z.array(z.string()),
  }),
  strict({
    node: z.string(),
    stage: DeployStage,
    file: z.string(),
    rolled_back_at: z.string(),
    by: z.string(),
    commit: sha,
    command: command.optional(),
    warnings: z.array(z.string()),
  }),
])

const WorkSummary = strict({
  worker: z.string(),
  /** every node this worker claimed, claimed ahead and put back unstarted ones too: finished + released + lost */
  claimed: z.number().int().nonnegative().describe('every node this worker claimed: finished + released + lost'),
  finished: z.number().int().nonnegative(),
  released: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  by_status: z.record(z.string(), z.number().int().nonnegative()),
  stopped_because: z.enum(['empty', 'blocked', 'budget_exhausted', 'max_nodes', 'interrupted', 'deadline']),
  detail: z.string(),
})
export const WorkResult = WorkSummary.extend({
  /** --restarted: the nodes an earlier run under the same worker name held, taken back (the attempt counts) */
  taken_back: z.array(z.string()).optional(),
})

export const RunResult = z.discriminatedUnion('kind', [
  strict({
    kind: z.literal('verdict'),
    id: z.string(),
    status: z.string(),
    reason: z.string().optional(),
    spawned: z.array(z.string()),
    durationMs: z.number(),
    commit: sha,
  }),
  strict({kind: z.literal('released'), id: z.string(), why: z.string().optional()}),
  strict({kind: z.literal('lost'), id: z.string(), why: z.string()}),
])

export const CancelResult = strict({cancelled: z.array(z.string()), stopping: z.array(z.string()), blocked: z.array(z.string())})
export const RerunResult = strict({
  id: z.string(),
  was: z.string(),
  dependents: z.array(z.string()),
  unblocked: z.array(z.string()),
  stale_inputs: z.array(strict({from: z.string(), why: z.string()})),
})

export const GraphResult = strict({format: z.enum(['mermaid', 'dot']), graph: z.string()})

export const RulesResult = strict({
  decisions: z.array(strict({rule: z.string(), from: z.string(), id: z.string(), skipped: z.string().optional()})),
  spawned: z.array(z.string()),
  commit: sha,
})

export const SuperviseResult = strict({
  health: strict({
    stuck: z.array(strict({id: z.string(), worker: z.string().optional(), lease_until: z.string().optional()})),
    corrupt: z.array(strict({file: z.string(), message: z.string()})),
    audit_backlog: z.number().int().nonnegative(),
    failed_audit_rate: z.number().nullable(),
    running: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
  }),
  supervised: strict({requeued: z.array(z.string()), expired: z.array(z.string()), blocked: z.array(z.string()), commit: sha}),
  runs: strict({
    killed: z.array(strict({run: z.string(), node: z.string().optional(), pids: z.array(z.number().int())})),
    removed: z.array(z.string()),
  }),
  removed_temp_objects: z.array(z.string()),
  removed_scratch: z.array(z.string()),
  removed_copies: z.array(z.string()),
})

export const InitResult = strict({
  root: z.string(),
  commit: commit.optional(),
  created_repo: z.boolean(),
  files: z.array(z.string()),
  github: strict({
    state_branch: z.string(),
    install: z.string(),
    install_source: z.enum(['flag', 'rigor.yaml', 'package.json', 'running rigor']),
    codeowners: z.array(z.string()),
    notes: z.array(z.string()),
  }).optional(),
})

const DesignResult = strict({
  designer: z.string(),
  seeded: z.array(z.string()),
  existing: z.array(z.string()),
  invalid: z.array(strict({index: z.number().int(), field: z.string(), message: z.string()})),
  attempts: z.number().int(),
  cost_usd: z.number(),
})
export const DesignCommandResult = DesignResult

export const AssessResult = strict({
  node: z.string(),
  assessor: z.string(),
  assessment: z.string(),
  attempts: z.number().int(),
  cost_usd: z.number(),
})

const AuditOutcome = z.array(strict({id: z.string(), verdict: z.enum(['PASS', 'FAIL']), file: z.string()}))
const CycleStep = CycleStepRecord.omit({result: true, done_nodes: true})
export const CycleResult = strict({
  id: z.string(),
  resumed: z.boolean(),
  released: z.array(z.string()),
  removed_copies: z.array(z.string()),
  outcome: z.enum(['succeeded', 'failed', 'stopped', 'cancelled', 'interrupted']),
  steps: z.array(CycleStep),
  cost_usd: z.number(),
  design: DesignResult.optional(),
  work: WorkSummary.optional(),
  assess: strict({assessed: z.array(z.string())}).optional(),
  audit: z.array(strict({id: z.string(), verdict: z.enum(['PASS', 'FAIL']), file: z.string(), holdout: z.string().optional()})).optional(),
  rank: strict({
    file: z.string().nullable(),
    kept: z.array(z.string()),
    objective: RankingFile.shape.objective,
    metric: z.string(),
    source: z.string(),
    nothing_to_rank: NothingToRank.optional(),
  }).optional(),
  report: strict({files: z.array(z.string()), health_score: z.number()}).optional(),
})
export const CycleListResult = strict({
  cycles: z.array(
    strict({
      id: z.string(),
      started_at: z.string(),
      finished_at: z.string().nullable(),
      outcome: z.enum(['running', 'succeeded', 'failed', 'stopped', 'cancelled', 'interrupted']),
      steps: z.array(strict({name: z.string(), status: z.string(), attempts: z.number().int()})),
      cost_usd: z.number(),
      pid: z.number().int(),
    }),
  ),
  problems: z.array(strict({file: z.string(), message: z.string()})),
})
export const CycleCancelResult = strict({
  id: z.string(),
  outcome: z.enum(['succeeded', 'failed', 'stopped', 'cancelled']),
  was_running: z.boolean(),
  pid: z.number().int(),
  released: z.array(z.string()),
})

export const DemoResult = strict({
  dir: z.string(),
  seeded: z.number().int(),
  work: WorkSummary,
  status: StatusResult.omit({config_draft: true, local_edits: true, stale: true}),
  best: z.array(strict({id: z.string(), team: z.string(), sharpe: z.number(), max_drawdown: z.number(), total_return: z.number()})),
  audits: AuditOutcome,
  deployed: z.string().nullable(),
  ranking: z.string().nullable(),
  report: z.array(z.string()),
  site: z.string().nullable(),
  seconds: z.number(),
})

export const SiteResult = strict({
  out: z.string(),
  index: z.string(),
  commit: commit.nullable(),
  nodes: z.number().int().nonnegative(),
  pages: z.number().int().nonnegative(),
  charts: z.number().int().nonnegative(),
  written: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  builds: z.number().int().positive(),
  url: z.string().nullable(),
})

export const PaperResult = strict({
  node: z.string(),
  file: z.string(),
  returns_file: z.string(),
  backtest_end: z.string(),
  from: z.string(),
  to: z.string(),
  periods: z.number().int(),
  sharpe: z.number(),
  total_return: z.number(),
  max_drawdown: z.number(),
  win_rate: z.number(),
  data: z.string(),
  commit: sha,
})

export const HandoffCreateResult = strict({file: z.string(), handoff: HandoffFile, commit: sha})
export const HandoffListResult = strict({
  handoffs: z.array(
    strict({
      file: z.string(),
      problem: z.string().optional(),
      task: z.string().optional(),
      number: z.number().int().optional(),
      from: z.string().optional(),
      to: z.string().optional(),
      created_at: z.string().optional(),
      message: z.string().optional(),
      artifacts: z.record(z.string(), z.string()).optional(),
    }),
  ),
})
export const HandoffVerifyResult = strict({
  ok: z.boolean(),
  handoffs: z.number().int().nonnegative(),
  artifacts: z.number().int().nonnegative(),
  problems: z.array(
    strict({
      file: z.string(),
      kind: z.enum(['corrupt', 'invalid', 'changed', 'missing']),
      artifact: z.string().optional(),
      where: z.enum(['committed', 'working tree']).optional(),
      expected: z.string().optional(),
      actual: z.string().optional(),
      message: z.string(),
    }),
  ),
})

export const SlurmSubmitResult = strict({
  dry_run: z.boolean(),
  job_id: z.string().nullable(),
  script: z.string(),
  text: z.string(),
  record: z.string().nullable(),
  output: z.string(),
  sbatch: z.array(z.string()),
  workers: z.number().int().positive(),
  parallel: z.number().int().positive(),
  remote: z.string(),
  remote_url: z.string(),
  branch: z.string(),
  config_commit: commit,
  warnings: z.array(z.string()),
})

export const SlurmStatusResult = strict({
  arrays: z.array(
    strict({
      job_id: z.string(),
      submitted_at: z.string(),
      workers: z.number().int().positive(),
      parallel: z.number().int().positive(),
      remote: z.string(),
      script: z.string(),
      output: z.string(),
      cancelled_at: z.string().optional(),
      known_to_slurm: z.boolean(),
      tasks: z.array(
        strict({
          task: z.string(),
          worker: z.string(),
          state: z.string(),
          host: z.string().optional(),
          exit_code: z.string().optional(),
          started_at: z.string().optional(),
          ended_at: z.string().optional(),
          reason: z.string().optional(),
          claimed: z.number().int().nonnegative(),
          released: z.number().int().nonnegative(),
          nodes: z.array(z.string()),
          running: z.array(z.string()),
        }),
      ),
    }),
  ),
  /** arrays whose remote could not be read (removed from this clone, out of reach): the others are reported */
  unreadable: z.array(strict({remote: z.string(), job_ids: z.array(z.string()), problem: z.string(), fix: z.string().optional()})),
})

export const SlurmCancelResult = strict({
  cancelled: z.array(
    strict({job_id: z.string(), pending: z.array(z.string()), running: z.array(z.string()), how: z.enum(['graceful', 'kill'])}),
  ),
})
export const HealthResult = strict({
  ok: z.boolean(),
  checks: z.array(
    strict({
      name: z.enum(['score', 'audit_backlog', 'failed_audit_rate', 'stuck_leases']),
      value: z.number().nullable(),
      threshold: z.number().nullable(),
      bound: z.enum(['min', 'max']),
      ok: z.boolean(),
    }),
  ),
  score_formula: z.string(),
  commit: commit.nullable(),
  notified: strict({
    sent: z.boolean(),
    skipped: z.enum(['not_configured', 'not_subscribed']).optional(),
    problem: z.string().optional(),
  }).optional(),
})

/** `rigor metrics --json`: every family with its samples as the exposition lists them; with --serve, what was served. */
export const MetricsResult = z.union([
  strict({
    commit: commit.nullable(),
    families: z.array(
      strict({
        name: z.string(),
        type: z.enum(['counter', 'gauge', 'histogram']),
        help: z.string(),
        samples: z.array(strict({name: z.string(), labels: z.record(z.string(), z.string()), value: z.number()})),
      }),
    ),
  }),
  strict({url: z.string(), scrapes: z.number().int().nonnegative(), failed: z.number().int().nonnegative()}),
])

/** Command id (as typed) -> the schema of its --json output. `log` prints one LogLine per line. */
export const COMMAND_RESULTS = {
  assess: AssessResult,
  audit: AuditResult,
  backtest: BacktestResult,
  cancel: CancelResult,
  rerun: RerunResult,
  claim: ClaimResult,
  cycle: CycleResult,
  'cycle cancel': CycleCancelResult,
  'cycle list': CycleListResult,
  'data generate': DataGenerateResult,
  demo: DemoResult,
  deploy: DeployResult,
  design: DesignCommandResult,
  graph: GraphResult,
  'handoff create': HandoffCreateResult,
  'handoff list': HandoffListResult,
  'handoff verify': HandoffVerifyResult,
  health: HealthResult,
  init: InitResult,
  log: LogLine,
  metrics: MetricsResult,
  paper: PaperResult,
  rank: RankResult,
  report: ReportResult,
  'rules check': RulesResult,
  'rules replay': RulesResult,
  run: RunResult,
  'schedule install': ScheduleInstallResult,
  'schedule run': ScheduleRunResult,
  'schedule status': ScheduleStatusResult,
  'schedule uninstall': ScheduleUninstallResult,
  seed: SeedResult,
  show: ShowResult,
  'slurm cancel': SlurmCancelResult,
  'slurm status': SlurmStatusResult,
  'slurm submit': SlurmSubmitResult,
  site: SiteResult,
  'stats dsr': StatsDsrResult,
  'stats mintrl': StatsMintrlResult,
  'stats pbo': StatsPboResult,
  'stats psr': StatsPsrResult,
  'stats sharpe': StatsSharpeResult,
  status: StatusResult,
  supervise: SuperviseResult,
  verify: VerifyResult,
  work: WorkResult,
} as const satisfies Record<string, z.ZodType>

export type CommandWithResult = keyof typeof COMMAND_RESULTS
