import * as z from 'zod'
import {Checksum, IsoTime, NodeId} from './common.js'

export const DEPLOY_STAGES = ['paper', 'live'] as const
export const DeployStage = z.enum(DEPLOY_STAGES)
export type DeployStage = z.infer<typeof DeployStage>

/** the audit a deployment stood on, by file and checksum, so the record proves which report opened the gate */
export const DeploymentAudit = z.strictObject({
  file: z.string(),
  checksum: Checksum,
  auditor: z.string(),
  audited_at: IsoTime,
  /** the listed auditor whose SSH signature on the audit the gate verified (absent without auditors:) */
  signed_by: z.string().optional(),
})

/** the paper results a live deployment stood on */
export const DeploymentPaper = z.strictObject({
  file: z.string(),
  checksum: Checksum,
  periods: z.number().int().nonnegative(),
  sharpe: z.number(),
})

export const DEPLOYMENT_STATUSES = ['active', 'rolled_back'] as const

const DeploymentFields = {
  node: NodeId,
  stage: DeployStage,
  status: z.enum(DEPLOYMENT_STATUSES),
  by: z.string().min(1),
  deployed_at: IsoTime,
  audit: DeploymentAudit,
  /** `out/<path>` -> sha256 of the artifacts deployed, equal to what the audit covers */
  artifacts: z.record(z.string(), Checksum),
  /** the last date the node's data file held when it was deployed (as written there): paper trades the prices after it */
  data_end: z.string().min(1).optional(),
  paper: DeploymentPaper.optional(),
  /** the stage's configured command (argv) and how it exited; absent when none is configured */
  command: z.array(z.string()).optional(),
  exit_code: z.number().int().optional(),
  rolled_back_at: IsoTime.optional(),
  rolled_back_by: z.string().optional(),
  rollback_reason: z.string().optional(),
}

/** an earlier deployment of the same node and stage, kept when it is replaced */
export const PreviousDeployment = z.strictObject(DeploymentFields)
export type PreviousDeployment = z.infer<typeof PreviousDeployment>

/** deployments/<stage>/<id>.yaml */
export const DeploymentFile = z.strictObject({
  ...DeploymentFields,
  previous: z.array(PreviousDeployment).default([]),
  checksum: Checksum,
})
export type DeploymentFile = z.infer<typeof DeploymentFile>
