import {Repo} from '../git/repo.js'
import type {SlurmRecord} from '../schemas/index.js'
import type {Workspace} from '../state/workspace.js'
import {readActivityLog, type LogEntry} from '../views/log.js'
import {REST, type SlurmCommands, type SlurmTask} from './cluster.js'
import {readRecord, readRecords} from './records.js'

export interface TaskStatus extends Partial<Omit<SlurmTask, 'task'>> {
  task: string
  /** the worker name the task commits as (Rigor-Worker) */
  worker: string
  /** Slurm's state; `unknown` once Slurm has forgotten the job */
  state: string
  /** from the state branch's trailers: how many nodes this worker claimed and put back */
  claimed: number
  released: number
  /** the nodes this worker gave a verdict, oldest first */
  nodes: string[]
  /** the nodes this worker holds now (running) */
  running: string[]
}

export interface ArrayStatus {
  job_id: string
  submitted_at: string
  workers: number
  parallel: number
  remote: string
  script: string
  output: string
  cancelled_at?: string
  /** false once Slurm no longer knows the job (it ended longer ago than MinJobAge): task states are then unknown */
  known_to_slurm: boolean
  tasks: TaskStatus[]
}

const readArrays = (commonDir: string, jobId: string | undefined): Promise<SlurmRecord[]> =>
  jobId ? readRecord(commonDir, jobId).then((r) => [r]) : readRecords(commonDir)

/**
 * The remotes the arrays (all, or the one asked for) were submitted to, each once with the ids of its arrays: their
 * tasks push there, so that is where what they did is read (a clone whose `origin` is another remote, or has none,
 * reads the right one).
 */
export async function submittedRemotes(cwd: string, jobId?: string): Promise<Map<string, string[]>> {
  const repo = await Repo.open(cwd)
  try {
    const byRemote = new Map<string, string[]>()
    for (const r of await readArrays(repo.paths.commonDir, jobId)) byRemote.set(r.remote, [...(byRemote.get(r.remote) ?? []), r.job_id])
    return byRemote
  } finally {
    await repo.close()
  }
}

/** Arrays whose remote could not be read (removed from the clone, unreachable): named with why, the others still reported. */
export interface UnreadableArrays {
  remote: string
  job_ids: string[]
  problem: string
  fix?: string
}

/** The worker name of array task `task` of job `jobId`, as the job script names it. */
export const taskWorker = (jobId: string, task: string): string => `slurm-${jobId}-${task}`

/**
 * The arrays submitted from this clone (or the one asked for): each task's
 * state from Slurm, and what its worker did from the commit trailers on the state branch.
 */
export async function arrayStatus(ws: Workspace, opts: {slurm: SlurmCommands; jobId?: string; remote?: string}): Promise<ArrayStatus[]> {
  const records = (await readArrays(ws.repo.paths.commonDir, opts.jobId)).filter(
    (r) => opts.remote === undefined || r.remote === opts.remote,
  )
  if (records.length === 0) return []
  const byWorker = groupByWorker(await readActivityLog(ws))
  const snap = await ws.currentSnapshot()
  const runningBy = new Map<string, string[]>()
  for (const record of snap.nodes.values()) {
    const node = record.node
    if (node?.status === 'running' && node.worker) runningBy.set(node.worker, [...(runningBy.get(node.worker) ?? []), node.id])
  }
  const arrays: ArrayStatus[] = []
  for (const record of records) {
    const tasks = await opts.slurm.tasks(record)
    arrays.push(describeArray(record, tasks, byWorker, runningBy))
  }
  return arrays
}

function describeArray(
  record: SlurmRecord,
  tasks: SlurmTask[] | undefined,
  byWorker: Map<string, LogEntry[]>,
  runningBy: Map<string, string[]>,
): ArrayStatus {
  const slurmTasks = new Map((tasks ?? []).map((t) => [t.task, t]))
  const ids = Array.from({length: record.workers}, (_, i) => String(i))
  return {
    job_id: record.job_id,
    submitted_at: record.submitted_at,
    workers: record.workers,
    parallel: record.parallel,
    remote: record.remote,
    script: record.script,
    output: record.output,
    ...(record.cancelled_at ? {cancelled_at: record.cancelled_at} : {}),
    known_to_slurm: tasks !== undefined,
    tasks: ids.map((task) => {
      const worker = taskWorker(record.job_id, task)
      const {task: _task, ...slurm} = slurmTasks.get(task) ?? slurmTasks.get(REST) ?? {task, state: 'unknown'}
      // the log is newest first: the task's nodes are listed in the order it finished them
      const entries = [...(byWorker.get(worker) ?? [])].reverse()
      return {
        task,
        worker,
        ...slurm,
        // nodes, not commits: a worker claiming ahead claims several nodes in one commit, as a stop releases several
        claimed: nodesOf(entries, 'claim'),
        released: nodesOf(entries, 'release'),
        nodes: entries.filter((e) => e.action === 'verdict' && e.nodes[0]).map((e) => e.nodes[0]!),
        running: runningBy.get(worker) ?? [],
      }
    }),
  }
}

const nodesOf = (entries: LogEntry[], action: string): number =>
  entries.filter((e) => e.action === action).reduce((n, e) => n + e.nodes.length, 0)

function groupByWorker(log: LogEntry[]): Map<string, LogEntry[]> {
  const groups = new Map<string, LogEntry[]>()
  for (const entry of log) {
    if (!entry.worker?.startsWith('slurm-')) continue
    const list = groups.get(entry.worker)
    if (list) list.push(entry)
    else groups.set(entry.worker, [entry])
  }
  return groups
}
