import type * as z from 'zod'
import {
  AuditFrontMatter,
  AuditHead,
  ConfigFile,
  DeploymentFile,
  HandoffFile,
  HoldoutOpening,
  NodeFile,
  PaperResultsFile,
  RankingFile,
  RunnerVerdict,
  ScheduledRun,
  SeedSpec,
  VerdictFile,
} from '../../core/schemas/index.js'

export interface FileKind {
  /** schemas/<name>.schema.json */
  name: string
  /** where such files live, for the schema's description */
  where: string
  description: string
  schema: z.ZodType
}

/**
 * Every kind of file rigor reads or writes, with the zod schema that checks it.
 * Their JSON Schemas (schemas/*.schema.json, from `npm run schemas`) describe
 * what may be written in the file: zod's input side, before defaults and
 * transforms. Checks that only code can make (node id rules, CEL conditions,
 * durations) are not in them; rigor still runs those when it reads the file.
 */
export const FILE_KINDS: readonly FileKind[] = [
  {
    name: 'rigor-yaml',
    where: 'rigor.yaml',
    description: "the workspace's configuration: teams, gates, rules, runner, budget, audit, deploy",
    schema: ConfigFile,
  },
  {
    name: 'seed-spec',
    where: 'any seed spec given to `rigor seed`, e.g. templates/seed.example.yaml',
    description: 'single nodes and sweeps to add',
    schema: SeedSpec,
  },
  {name: 'node', where: 'experiments/<id>/node.yaml', description: 'one experiment node (checksummed; written by rigor)', schema: NodeFile},
  {
    name: 'verdict',
    where: 'experiments/<id>/verdict.yaml',
    description: "a finished run's verdict (checksummed; written by rigor)",
    schema: VerdictFile,
  },
  {
    name: 'runner-verdict',
    where: '$RIGOR_OUT/verdict.json',
    description: 'what a runner reports: metrics, status, artifacts, accounting convention',
    schema: RunnerVerdict,
  },
  {
    name: 'audit-head',
    where: 'audits/<id>/<date>-<auditor>.md (front matter)',
    description: "an audit report's front matter (checksummed)",
    schema: AuditHead,
  },
  {
    name: 'audit',
    where: 'audits/<id>/<date>-<auditor>.json',
    description: "an audit's full record: checks, figures, issues, family (checksummed)",
    schema: AuditFrontMatter,
  },
  {
    name: 'ranking',
    where: 'reports/rankings/<time>-<objective>.yaml',
    description: 'a recorded ranking (checksummed)',
    schema: RankingFile,
  },
  {
    name: 'handoff',
    where: 'handoffs/<task>/<n>-<from>-to-<to>.yaml',
    description: 'a handoff of artifacts pinned by sha256 (checksummed)',
    schema: HandoffFile,
  },
  {name: 'deployment', where: 'deployments/<stage>/<id>.yaml', description: 'a deployment record (checksummed)', schema: DeploymentFile},
  {
    name: 'paper-results',
    where: 'deployments/paper/<id>.results.yaml',
    description: "a paper deployment's results (checksummed)",
    schema: PaperResultsFile,
  },
  {
    name: 'scheduled-run',
    where: '.git/rigor/logs/runs.jsonl (one per line)',
    description:
      'one cycle started by the schedule (`rigor schedule run`): when, its exit code and outcome, its log (local to the checkout, not committed)',
    schema: ScheduledRun,
  },
  {
    name: 'holdout-opening',
    where: 'audits/<id>/holdout-<artifacts key>.yaml',
    description: 'one opening of a sealed holdout (checksummed)',
    schema: HoldoutOpening,
  },
]
