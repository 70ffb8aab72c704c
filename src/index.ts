/**
 * rigor as a library: what the CLI is built from, for scripts and other tools.
 * Open a workspace, read its state, claim and run nodes, audit, deploy, and
 * use the statistics and the strategy kit. Every function takes what it needs
 * as arguments; the engine's pluggable rules come from `policies`.
 *
 *   import {Workspace, policies, claimNextNode, summariseStatus} from 'rigor-research'
 *   const ws = await Workspace.open('.')
 *   try {
 *     console.log(summariseStatus(await ws.currentSnapshot()))
 *     const claim = await claimNextNode(ws, {worker: 'me', admission: policies.admission})
 *   } finally {
 *     await ws.close()
 *   }
 */

// state: the workspace, its branch and its documents
export {Workspace, defaultWorkerName} from './core/state/workspace.js'
export type {OpenOptions} from './core/state/workspace.js'
export type {Snapshot, NodeRecord} from './core/state/store.js'
export {parseConfig} from './core/state/config.js'
export {documentChecksum, checkDocument} from './core/state/checksum.js'
export {parseTrailers, formatCommitMessage} from './core/state/commit-message.js'
export {DOCUMENT_KINDS, documentKindOf} from './core/state/layout.js'
export * from './core/validation.js'
export * from './core/errors.js'
export * as schemas from './core/schemas/index.js'

// the DAG: seeding, claiming, running, supervising
export {nodesOfSpec, readSeedSpec, seedNodes} from './core/dag/seed.js'
export {expandSweep} from './core/dag/sweeps.js'
export {claimNextNode, claimNode, releaseHeld} from './core/dag/claims.js'
export {executeClaimedNode} from './core/dag/execute.js'
export {transition, ALLOWED_FROM} from './core/dag/lifecycle.js'
export type {Transition, TransitionInput} from './core/dag/lifecycle.js'
export {compileCondition} from './core/state/conditions.js'
export {requeueExpiredLeases, healthCheck} from './core/dag/supervise.js'
export {cancelNode} from './core/dag/cancel.js'
export {replayRules} from './core/dag/rules.js'

// views
export {summariseStatus} from './core/views/status.js'
export type {StatusSummary} from './core/views/status.js'
export {showNode} from './core/views/show.js'
export {readActivityLog} from './core/views/log.js'
export {renderGraph} from './core/views/graph.js'
export {rankNodes, rankingHistory} from './core/views/rank.js'
export {writeDailyReport} from './core/views/report.js'
export {verifyWorkspace} from './core/views/verify.js'
export {verifySignatures} from './core/views/verify-signatures.js'
export {MetricsCollector, METRICS, METRIC_DEFS} from './core/views/metrics.js'
export {renderExposition, samplesOf} from './core/views/exposition.js'

// flows and the composition root
export {policies} from './core/flows/policies.js'
export type {Policies} from './core/flows/policies.js'
export {runWorkLoop} from './core/flows/worker.js'
export {runCycle} from './core/flows/cycle.js'
export {cancelCycle} from './core/flows/cycle-cancel.js'
export {listCycles} from './core/flows/cycle-records.js'
export {initWorkspace} from './core/flows/init.js'
export {checkHealth, evaluateHealth} from './core/flows/health.js'
export type {HealthResult} from './core/flows/health.js'
export {notify} from './core/flows/notify.js'
export type {RigorEvent, NotifyOutcome} from './core/flows/notify.js'

// telemetry: pass one to the flows (work loop, cycle, audits, agent calls); noTelemetry records nothing
export {noTelemetry} from './core/telemetry/telemetry.js'
export type {Telemetry, Measurement, Attributes} from './core/telemetry/telemetry.js'

// kits
export {auditNode} from './core/auditor/index.js'
export {readNodeAudits} from './core/auditor/reports.js'
export * as stats from './core/stats/index.js'
export * as backtest from './core/backtest/index.js'
export {deployNode, rollbackDeployment, evaluateDeployGate, paperTrade} from './core/deploy/index.js'
