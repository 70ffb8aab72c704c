import * as z from 'zod'
import {branchNameProblem, installSpecProblem, labelProblem, lowerNameProblem, sshPublicKeyProblem} from '../validation.js'
import {Argv, Duration, FINAL_STATUSES, NodeStatus, Params, RunSpec, SandboxMode} from './common.js'
import {AuditThresholds} from './audit-thresholds.js'
import {CycleConfig} from './cycle-config.js'
import {HoldoutConfig} from './holdout.js'
import {ArtifactStoreConfig} from './inputs.js'
import {HealthThresholds} from './health.js'
import {NotifyConfig} from './notify.js'
import {DEFAULT_RUNNER_LIMITS, RunnerLimits} from './limits.js'
import {SlurmConfig} from './slurm-config.js'

const Condition = z.string().min(1)

/** A gate's or a rule's name: one line, printed in `rigor work`'s output and recorded in verdicts (labelProblem). */
const Label = z
  .string()
  .min(1)
  .check((ctx) => {
    // an empty one is min(1)'s to say
    const problem = ctx.value === '' ? undefined : labelProblem(ctx.value)
    if (problem) ctx.issues.push({code: 'custom', message: problem, input: ctx.value})
  })

export const TeamConfig = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'team names are lowercase like node id segments'),
  waits_for: Condition.optional(),
  max_parallel: z.number().int().positive().optional(),
  description: z.string().optional(),
})

export const GateConfig = z.strictObject({
  name: Label,
  teams: z.array(z.string()).optional(),
  reject_when: Condition.optional(),
  accept_when: Condition.optional(),
})

export const SpawnConfig = z.strictObject({
  as: z.enum(['child', 'sibling']).default('child'),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a spawn name is one id segment'),
  params: Params.default({}),
  team: z.string().optional(),
  run: RunSpec.optional(),
  priority: z.number().optional(),
})

/** Verdicts that never fire a rule: a failed tool run says nothing about the idea. */
export const NON_FIRING_STATUSES: ReadonlySet<string> = new Set(['inconclusive', 'blocked', 'cancelled'])
const FIRING_STATUSES = FINAL_STATUSES.filter((status) => !NON_FIRING_STATUSES.has(status))

export const RuleConfig = z.strictObject({
  name: Label,
  // a rule none of whose statuses can fire it is refused, as a spawn name no id can end in: it would never spawn
  on: z
    .array(NodeStatus)
    .min(1)
    .check((ctx) => {
      if (ctx.value.length > 0 && !ctx.value.some((status) => FIRING_STATUSES.includes(status)))
        ctx.issues.push({
          code: 'custom',
          message: `a rule fires only on ${FIRING_STATUSES.join(' or ')} verdicts, so with on: [${ctx.value.join(', ')}] it would never spawn; list ${FIRING_STATUSES.join(' and/or ')}`,
          input: ctx.value,
        })
    }),
  when: Condition.optional(),
  teams: z.array(z.string()).optional(),
  spawn: z.array(SpawnConfig).min(1),
})

const StageCommand = z.strictObject({
  command: Argv.optional(),
  /** run by `rigor deploy --rollback` before the record is marked rolled_back */
  rollback_command: Argv.optional(),
})

/** live money needs a paper record that earned something: annualised Sharpe on paper, overridable */
export const DEFAULT_MIN_PAPER_SHARPE = 0.5

/** rigor.yaml */
export const ConfigFile = z.strictObject({
  version: z.literal(1),
  /** the branch that holds rigor's state; default: the branch checked out */
  branch: z
    .string()
    .superRefine((name, ctx) => {
      const problem = branchNameProblem(name)
      if (problem) ctx.addIssue({code: 'custom', message: problem})
    })
    .optional(),
  teams: z.array(TeamConfig).default([]),
  gates: z.array(GateConfig).default([]),
  rules: z.array(RuleConfig).default([]),
  max_generations: z.number().int().nonnegative().default(3),
  lease: z
    // zod returns a default as it is, without the Duration transform: defaults are already milliseconds
    .strictObject({duration: Duration.default(15 * 60_000), max_attempts: z.number().int().positive().default(3)})
    .default({duration: 15 * 60_000, max_attempts: 3}),
  budget: z
    .strictObject({
      daily_usd: z.number().nonnegative().optional(),
      reserve_per_run_usd: z.number().nonnegative().default(0),
      /** what one agent attempt (design, assess) is held to cost before it runs; default: reserve_per_run_usd */
      reserve_per_agent_call_usd: z.number().nonnegative().optional(),
    })
    .default({reserve_per_run_usd: 0}),
  agent: z.strictObject({command: Argv, timeout: Duration.optional()}).optional(),
  cycle: CycleConfig.default(() => CycleConfig.parse({})), // `rigor cycle`'s steps: schemas/cycle-config.ts
  /** who may sign audits (and changes to this list): see src/core/state/auditors.ts */
  auditors: z
    .array(
      z.strictObject({
        name: z.string().superRefine((name, ctx) => {
          const problem = lowerNameProblem('auditor', name)
          if (problem) ctx.addIssue({code: 'custom', message: problem})
        }),
        key: z.string().superRefine((key, ctx) => {
          const problem = sshPublicKeyProblem(key)
          if (problem) ctx.addIssue({code: 'custom', message: problem})
        }),
      }),
    )
    .optional(),
  /** the sealed holdout: see schemas/holdout.ts */
  holdout: HoldoutConfig.optional(),
  /** where outputs over runner.limits.file_size go instead of git: see schemas/inputs.ts */
  artifact_store: ArtifactStoreConfig.optional(),
  /**
   * `rigor init --github`: how the workflow installs rigor. An npm install spec
   * whose content is fixed (git+https://...#<commit>, https://....tgz,
   * ./<committed>.tgz), or `package.json` (the workspace's devDependency, by npm ci).
   * The workflow carries a copy in RIGOR_INSTALL: change both together.
   */
  github: z
    .strictObject({
      install: z.string().superRefine((spec, ctx) => {
        const problem = installSpecProblem(spec)
        if (problem) ctx.addIssue({code: 'custom', message: problem})
      }),
    })
    .optional(),
  /** the auditor's thresholds and switches, checked when rigor.yaml loads (schemas/audit-thresholds.ts) */
  // a function: parsing at module load compiled the schema's parser in every command's start-up
  audit: AuditThresholds.default(() => AuditThresholds.parse({})),
  deploy: z
    .strictObject({
      paper: StageCommand.optional(),
      live: StageCommand.extend({
        min_paper_periods: z.number().int().nonnegative().default(20),
        min_paper_sharpe: z.number().default(DEFAULT_MIN_PAPER_SHARPE),
      }).optional(),
    })
    .optional(),
  /** `rigor slurm submit`: see schemas/slurm-config.ts and docs/slurm.md */
  slurm: SlurmConfig.optional(),
  /** the thresholds of `rigor health` (schemas/health.ts) */
  health: HealthThresholds.optional(),
  /** the program told about crossed health thresholds, FAIL audits, deploys and failed cycle steps (schemas/notify.ts) */
  notify: NotifyConfig.optional(),
  runner: z
    .strictObject({
      default_timeout: Duration.default(3_600_000),
      sandbox: SandboxMode.default('auto'),
      network: z.boolean().default(false),
      limits: RunnerLimits,
    })
    .default({default_timeout: 3_600_000, sandbox: 'auto', network: false, limits: {...DEFAULT_RUNNER_LIMITS}}),
})
export type ConfigFile = z.infer<typeof ConfigFile>
