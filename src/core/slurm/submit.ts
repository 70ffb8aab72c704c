import {randomBytes} from 'node:crypto'
import {mkdir, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {resolveCommand} from '../dag/runner.js'
import {InputError, InternalError} from '../errors.js'
import type {SlurmRecord} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import type {SlurmCommands} from './cluster.js'
import {absoluteRemoteUrl, planSubmission, sbatchFilename, type SubmitFlags} from './plan.js'
import {logsDirectory, slurmDirectory, writeRecord} from './records.js'
import {essentialDirectives, renderJobScript} from './script.js'

export interface SubmitResult {
  dry_run: boolean
  /** the array's job id (null with --dry-run) */
  job_id: string | null
  /** where the script was written, and its text */
  script: string
  text: string
  /** the record `rigor slurm status` reads (null with --dry-run) */
  record: string | null
  /** each task's output file: %A is the job id, %a the task */
  output: string
  /** sbatch's argv */
  sbatch: string[]
  workers: number
  parallel: number
  remote: string
  remote_url: string
  branch: string
  config_commit: string
  warnings: string[]
}

/**
 * Writes the job script from the committed rigor.yaml at the remote's tip and
 * the flags, and submits it as one array of `workers` tasks (unless dryRun).
 * The workspace must have been opened with its remote: the tasks work on the
 * remote's state, so that is the state whose config is used.
 */
export async function submitArray(
  ws: Workspace,
  opts: {flags: SubmitFlags; dryRun: boolean; slurm: SlurmCommands; now?: Date},
): Promise<SubmitResult> {
  if (!ws.remote) throw new InternalError('slurm submit opened the workspace without its remote')
  const remote = ws.remote.remote
  const tip = await ws.readTip()
  if (!tip)
    throw new InputError(`the remote ${remote} has no branch ${ws.remote.branch}`, {
      fix: `push the state branch first (git push ${remote} ${ws.remote.branch})`,
    })
  const url = (await ws.repo.git(['remote', 'get-url', remote])).stdout.trim()
  const branch = ws.remote.branch
  const plan = planSubmission(opts.flags, {
    config: ws.config.slurm,
    configFile: ws.configFile,
    configCommit: tip,
    branch,
    remoteUrl: absoluteRemoteUrl(url, ws.root),
    defaultRigor: (([program, args]) => [program, ...args])(resolveCommand(['rigor'])),
  })
  const text = renderJobScript(plan)
  // checked before anything is written: the logs' directory must be one sbatch can name
  sbatchFilename(logsDirectory(ws.repo.paths.commonDir))
  const warnings = await unpushedWarning(ws, tip, remote)

  const dir = slurmDirectory(ws.repo.paths.commonDir)
  const logs = logsDirectory(ws.repo.paths.commonDir)
  await mkdir(logs, {recursive: true})
  const output = join(logs, '%A_%a.out')
  const sbatch = [...essentialDirectives(plan), `--output=${join(sbatchFilename(logs), '%A_%a.out')}`]
  // what the answer and the record both say of the array
  const array = {workers: plan.workers, parallel: plan.parallel, remote, remote_url: plan.remoteUrl, branch, config_commit: tip}
  const common = {text, output, sbatch: ['sbatch', '--parsable', ...sbatch], ...array, warnings}
  if (opts.dryRun) {
    const script = join(dir, 'dry-run.sh')
    await writeFile(script, text, {mode: 0o700})
    return {dry_run: true, job_id: null, script, record: null, ...common, sbatch: [...common.sbatch, script]}
  }

  // the job id is known only once sbatch took the script: written under a temporary name, then named after it
  const pending = join(dir, `submit-${randomBytes(4).toString('hex')}.sh`)
  await writeFile(pending, text, {mode: 0o700})
  let jobId: string
  try {
    jobId = await opts.slurm.submit(pending, sbatch, ws.root)
  } catch (err) {
    await rm(pending, {force: true})
    throw err
  }
  const script = join(dir, `${jobId}.sh`)
  await rename(pending, script)
  const record: SlurmRecord = {
    job_id: jobId,
    submitted_at: (opts.now ?? new Date()).toISOString(),
    ...(process.getuid ? {uid: process.getuid()} : {}),
    ...array,
    script,
    output,
    sbatch: [...common.sbatch, script],
  }
  const file = await writeRecord(ws.repo.paths.commonDir, record)
  return {dry_run: false, job_id: jobId, script, record: file, ...common, sbatch: record.sbatch}
}

/** Nodes seeded here but never pushed would never reach the array: said before it is submitted. */
async function unpushedWarning(ws: Workspace, tip: string, remote: string): Promise<string[]> {
  const local = await ws.repo.readRef(ws.stateRef)
  if (!local || local === tip || (await ws.repo.isAncestor(local, tip))) return []
  return [
    `${ws.stateRef} has state commits that ${remote} does not: the array works on ${remote}'s state only (push them first: git push ${remote} ${ws.stateRef.replace('refs/heads/', '')})`,
  ]
}
