import {rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {scratchDir} from '../state/scratch-dirs.js'
import {dumpStateDocument} from '../state/documents.js'
import {CheckFailedError, NothingToDoError, stoppedError} from '../errors.js'
import {assertNodeId} from '../state/ids.js'
import {nowIso} from '../state/node-files.js'
import {outDirPath} from '../state/layout.js'
import type {DeployStage, DeploymentFile, PreviousDeployment} from '../schemas/index.js'
import type {CommitSigner} from '../git/signing.js'
import type {Workspace} from '../state/workspace.js'
import {artifactDifferences, materialiseArtifacts} from '../state/artifacts.js'
import {evaluateDeployGate, gateRefusal, type DeployGate, type GateCondition} from './gate.js'
import {assertDeployableId, deploymentFilePath} from './paths.js'
import {readDeployment} from './records.js'
import {dataEndAt} from './data-end.js'
import {describeFailure, leftBehindWarning, runStageCommand, type StageCommandRun} from './stage-command.js'

/** How a stage's command ran, in a command's result: `left_behind` counts the processes it left running, which rigor stopped. */
export interface StageCommandOutcome {
  argv: string[]
  exit_code: number | null
  output: string
  left_behind: number
}

function outcomeOf(run: StageCommandRun): StageCommandOutcome {
  return {argv: run.command, exit_code: run.exitCode, output: run.output, left_behind: run.leftBehind}
}

/** A command stopped by rigor's own SIGINT or SIGTERM: nothing is recorded, whatever the command did. */
function assertNotStopped(run: StageCommandRun, signal: AbortSignal | undefined, what: string, again: string): void {
  if (run.canceled) throw stoppedError(signal?.reason, what, `check what the command did, then run ${again} again`)
}

export interface DeployResult {
  node: string
  stage: DeployStage
  file: string
  by: string
  deployed_at: string
  audit: string
  conditions: GateCondition[]
  command?: StageCommandOutcome
  commit?: string
  /** the auditor whose signature on the audit the gate verified, when auditors are configured */
  audit_signer?: string
  /** whether the deploy commit is signed */
  signed: boolean
  warnings: string[]
}

/**
 * Deploys a node to a stage: the gate (gate.ts) must pass; then the stage's
 * configured command runs (a failure is a refusal and nothing is written);
 * then deployments/<stage>/<id>.yaml is written in one commit. Redeploying
 * keeps the replaced record in `previous`.
 */
export async function deployNode(
  ws: Workspace,
  id: string,
  opts: {stage: DeployStage; by: string; now?: Date; signer?: CommitSigner; signal?: AbortSignal},
): Promise<DeployResult> {
  assertDeployableId(id)
  const now = opts.now ?? new Date()
  const command = ws.config.deploy?.[opts.stage]?.command
  const snap = await ws.currentSnapshot()
  const artifactsDir = join(ws.root, outDirPath(id))
  // the command reads the working tree's copies when the checkout holds them: those must be the audited bytes
  const inWorkingTree =
    command !== undefined &&
    (await stat(artifactsDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  const gate = await evaluateDeployGate(ws, snap, id, opts.stage, {now, workingTree: inWorkingTree})
  if (!gate.ok) throw gateRefusal(id, opts.stage, gate)

  let run: StageCommandRun | undefined
  if (command) {
    run = await withArtifactsDir(ws, gate, inWorkingTree && !gate.convertedCopies ? artifactsDir : undefined, (dir) =>
      runStageCommand(command, {
        cwd: ws.root,
        env: {
          RIGOR_NODE_ID: id,
          RIGOR_STAGE: opts.stage,
          RIGOR_WORKSPACE: ws.root,
          RIGOR_ARTIFACTS_DIR: dir,
          // relative to RIGOR_WORKSPACE, the command's directory
          RIGOR_AUDIT: gate.audit!.file,
          RIGOR_DEPLOYED_BY: opts.by,
        },
        timeoutMs: ws.config.runner.default_timeout,
        signal: opts.signal,
      }),
    )
    assertNotStopped(
      run,
      opts.signal,
      `the deploy command of ${id} (deploy.${opts.stage}.command)`,
      `rigor deploy ${id} --stage ${opts.stage}`,
    )
    if (run.exitCode !== 0) {
      throw new CheckFailedError(
        `refusing to deploy ${id} to ${opts.stage}: the deploy command (deploy.${opts.stage}.command) ${describeFailure(run)}; nothing was recorded${run.output.trim() ? `\n${run.output.trimEnd()}` : ''}`,
        {
          fix: `fix the command or what it deploys to, then run rigor deploy ${id} --stage ${opts.stage} again`,
        },
      )
    }
  }

  const outcome = await ws.commit<DeployResult>(
    async (tipSnap) => {
      // the command took time: the gate must still hold, on the same artifacts, at the tip the record lands on
      const again = tipSnap.commit === snap.commit ? gate : await evaluateDeployGate(ws, tipSnap, id, opts.stage, {now})
      if (!again.ok || artifactDifferences(gate.artifacts.sums, again.artifacts.sums).length > 0) {
        throw new CheckFailedError(`the state of ${id} changed while its deploy command ran; nothing was recorded`, {
          fix: `check the node (rigor show ${id}) and deploy again`,
        })
      }
      const file = deploymentFilePath(opts.stage, id)
      const existing = await readDeployment(ws.repo, tipSnap.tree, opts.stage, id)
      // a record that fails its checksum cannot be carried into history as if it were true
      if (existing.kind === 'unusable') throw existing.error
      const previous: PreviousDeployment[] = existing.kind === 'ok' ? [...existing.doc.previous, withoutHistory(existing.doc)] : []
      const audit = gate.audit!
      const record = {
        node: id,
        stage: opts.stage,
        status: 'active',
        by: opts.by,
        deployed_at: nowIso(now),
        audit: {
          file: audit.file,
          checksum: audit.front.checksum,
          auditor: audit.front.auditor,
          audited_at: audit.front.audited_at,
          signed_by: gate.signer,
        },
        artifacts: gate.artifacts.sums,
        data_end: await dataEndAt(ws.repo, tipSnap.commit, again.node),
        paper: gate.paper
          ? {
              file: gate.paper.file,
              checksum: gate.paper.results.checksum,
              periods: gate.paper.results.periods,
              sharpe: gate.paper.results.sharpe,
            }
          : undefined,
        command: run?.command,
        exit_code: run?.exitCode ?? undefined,
        previous,
      }
      return {
        files: new Map([[file, dumpStateDocument(record)]]),
        message: {
          action: 'deploy',
          subject: `deploy ${id} to ${opts.stage}`,
          nodes: [id],
          worker: opts.by,
          trailers: {Stage: opts.stage, Audit: audit.file},
        },
        result: {
          node: id,
          stage: opts.stage,
          file,
          by: opts.by,
          deployed_at: record.deployed_at,
          audit: audit.file,
          conditions: gate.conditions,
          command: run ? outcomeOf(run) : undefined,
          audit_signer: gate.signer,
          signed: opts.signer !== undefined,
          warnings: [...gate.warnings, ...optional(leftBehindWarning(run, `deploy.${opts.stage}.command`))],
        },
      }
    },
    {signer: opts.signer},
  )
  return {...outcome.result, commit: outcome.commit}
}

/** Runs `fn` with the artifacts' directory: the working tree's, or a copy of the committed bytes when this checkout does not hold them. */
async function withArtifactsDir<T>(
  ws: Workspace,
  gate: DeployGate,
  workingTreeDir: string | undefined,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  if (workingTreeDir) return fn(workingTreeDir)
  const dir = scratchDir(ws.repo.paths.commonDir, 'deploy', gate.node.id)
  try {
    await materialiseArtifacts(ws.repo, gate.artifacts, dir)
    return await fn(dir)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

function withoutHistory(doc: DeploymentFile): PreviousDeployment {
  const {previous: _previous, checksum: _checksum, ...rest} = doc
  return rest
}

export interface RollbackResult {
  node: string
  stage: DeployStage
  file: string
  rolled_back_at: string
  by: string
  commit?: string
  /** deploy.<stage>.rollback_command, when one is configured */
  command?: StageCommandOutcome
  warnings: string[]
}

/**
 * Rolls a deployment back: runs deploy.<stage>.rollback_command when one is
 * configured (a failing command refuses, nothing is recorded), then marks the
 * record rolled_back. The record stays (status, who, when, why) and git keeps
 * every earlier version. Without a stage, the highest active one is rolled
 * back: live before paper.
 */
export async function rollbackDeployment(
  ws: Workspace,
  id: string,
  opts: {stage?: DeployStage; by: string; reason?: string; now?: Date; signer?: CommitSigner; signal?: AbortSignal},
): Promise<RollbackResult> {
  assertNodeId(id)
  const now = opts.now ?? new Date()
  const snap = await ws.currentSnapshot()
  const target = await activeDeployment(ws, snap.tree, id, opts.stage)
  const command = ws.config.deploy?.[target.stage]?.rollback_command
  let run: StageCommandRun | undefined
  if (command) {
    run = await runStageCommand(command, {
      cwd: ws.root,
      env: {
        RIGOR_NODE_ID: id,
        RIGOR_STAGE: target.stage,
        RIGOR_WORKSPACE: ws.root,
        RIGOR_DEPLOYMENT: target.file,
        RIGOR_ROLLED_BACK_BY: opts.by,
      },
      timeoutMs: ws.config.runner.default_timeout,
      signal: opts.signal,
    })
    assertNotStopped(
      run,
      opts.signal,
      `the rollback command of ${id} (deploy.${target.stage}.rollback_command)`,
      `rigor deploy ${id} --rollback --stage ${target.stage}`,
    )
    if (run.exitCode !== 0) {
      throw new CheckFailedError(
        `refusing to mark ${id} rolled back on ${target.stage}: the rollback command (deploy.${target.stage}.rollback_command) ${describeFailure(run)}; nothing was recorded${run.output.trim() ? `\n${run.output.trimEnd()}` : ''}`,
        {
          fix: `fix the command, then run rigor deploy ${id} --rollback --stage ${target.stage} again`,
        },
      )
    }
  }
  const outcome = await ws.commit<RollbackResult>(
    async (tipSnap) => {
      const existing = await readDeployment(ws.repo, tipSnap.tree, target.stage, id)
      if (existing.kind === 'unusable') throw existing.error
      if (existing.kind !== 'ok' || existing.doc.status !== 'active')
        throw new CheckFailedError(`${target.file} changed while the rollback ran; nothing was recorded`, {
          fix: `check ${target.file} and run the rollback again`,
        })
      const {checksum: _old, previous, ...doc} = existing.doc
      const record = {
        ...doc,
        status: 'rolled_back',
        rolled_back_at: nowIso(now),
        rolled_back_by: opts.by,
        rollback_reason: opts.reason,
        previous,
      }
      return {
        files: new Map([[existing.file, dumpStateDocument(record)]]),
        message: {
          action: 'rollback',
          subject: `roll back ${id} on ${target.stage}`,
          nodes: [id],
          worker: opts.by,
          trailers: {Stage: target.stage},
        },
        result: {
          node: id,
          stage: target.stage,
          file: existing.file,
          rolled_back_at: record.rolled_back_at,
          by: opts.by,
          command: run ? outcomeOf(run) : undefined,
          warnings: optional(leftBehindWarning(run, `deploy.${target.stage}.rollback_command`)),
        },
      }
    },
    {signer: opts.signer},
  )
  return {...outcome.result, commit: outcome.commit}
}

async function activeDeployment(
  ws: Workspace,
  tree: string | undefined,
  id: string,
  stage: DeployStage | undefined,
): Promise<{stage: DeployStage; file: string}> {
  // what each stage holds instead, for the refusal: a record rolled back already, or none at all
  const found: string[] = []
  for (const candidate of stage ? [stage] : (['live', 'paper'] as const)) {
    const existing = await readDeployment(ws.repo, tree, candidate, id)
    if (existing.kind === 'unusable') throw existing.error
    if (existing.kind === 'ok' && existing.doc.status === 'active') return {stage: candidate, file: existing.file}
    if (existing.kind === 'ok')
      found.push(`${existing.file} is ${existing.doc.status}${existing.doc.rolled_back_at ? ` since ${existing.doc.rolled_back_at}` : ''}`)
  }
  const what = `${id} has no active ${stage ?? 'paper or live'} deployment to roll back`
  // never deployed: a wrong id or stage, a failure (exit 1); rolled back already: done, so a rollback run twice (an
  // incident script, a retry) is nothing to do (exit 3)
  if (found.length === 0)
    throw new CheckFailedError(`${what} (it was never deployed${stage ? ` to ${stage}` : ''})`, {
      fix: `check the id and stage (rigor show ${id}); a deployment is made with rigor deploy ${id} --stage ${stage ?? 'paper'}`,
    })
  throw new NothingToDoError(
    `${what} (${found.join('; ')})`,
    'already_rolled_back',
    'nothing to roll back: a rolled-back record stays as it is (its history: git log -- deployments/)',
  )
}

const optional = (warning: string | undefined): string[] => (warning ? [warning] : [])
