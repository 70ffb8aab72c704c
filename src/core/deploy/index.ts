/** The gated deployment: the gate, deploy and rollback, paper trading, and where their records live. */
export {deployNode, rollbackDeployment} from './deploy.js'
export type {DeployResult, RollbackResult} from './deploy.js'
export {evaluateDeployGate, gateRefusal} from './gate.js'
export type {DeployGate, GateCondition} from './gate.js'
export {paperTrade} from './paper.js'
export type {PaperOptions, PaperResult} from './paper.js'
export {readDeployment, readPaperResults} from './records.js'
export {deploymentFilePath, paperResultsPath, paperReturnsPath, MAX_AUDIT_AGE_DAYS, DEFAULT_MIN_PAPER_PERIODS} from './paths.js'
