import {InputError} from '../errors.js'
import {assertNodeId} from '../state/ids.js'
import type {DeployStage} from '../schemas/index.js'

import {DEPLOYMENTS_DIR} from '../state/layout.js'

export const deploymentFilePath = (stage: DeployStage, id: string): string => `${DEPLOYMENTS_DIR}/${stage}/${id}.yaml`
export const paperResultsPath = (id: string): string => `${DEPLOYMENTS_DIR}/paper/${id}.results.yaml`
export const paperReturnsPath = (id: string): string => `${DEPLOYMENTS_DIR}/paper/${id}.returns.csv`

/** An audit older than this no longer opens the gate (README: Deployment). */
export const MAX_AUDIT_AGE_DAYS = 30
/**
 * An audit dated further ahead of the gate's clock than this was not written by a
 * clock in step with it (a whole-hour time-zone slip, an edit): it opens nothing, or
 * it would stay fresh for as long as it likes and outrank every later audit.
 */
export const MAX_AUDIT_CLOCK_AHEAD_MINUTES = 10
/** live needs this many paper periods unless rigor.yaml says otherwise */
export const DEFAULT_MIN_PAPER_PERIODS = 20

/** A node id that can be deployed: `<id>.results` / `<id>.returns` would land on another node's paper record. */
export function assertDeployableId(id: string): string {
  assertNodeId(id)
  if (/\.(results|returns)$/.test(id)) {
    throw new InputError(`"${id}" ends in .results or .returns, which names another node's paper record under deployments/paper/`, {
      fix: 'rename the node before deploying it',
    })
  }
  return id
}
