/**
 * Run directories under `.git/rigor/runs/<run>/`: `run.json` (who runs what,
 * as which process group) beside `out/` (RIGOR_OUT). A worker removes its run
 * directory when the run ends; what a killed worker leaves behind, `rigor
 * supervise` finds here: it kills the leftover processes of workers that are
 * gone from this machine and removes their directories.
 */
import {renameSync, writeFileSync} from 'node:fs'
import {readFile, readdir, stat} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import * as z from 'zod'
import {removeTree} from './remove-tree.js'
import {hasEnvEntry, isAlive, ownStartTime, procInfo, processTable, type ProcInfo} from '../proc.js'

export const RUN_RECORD = 'run.json'
/** every runner process gets RIGOR_RUN_ID=<run>; its children inherit it even after they leave the group */
export const RUN_MARKER = 'RIGOR_RUN_ID'
/** a run directory with no record this old was left by a worker killed before it wrote one */
export const UNRECORDED_STALE_MS = 10 * 60_000

export const runsDirectory = (commonDir: string): string => join(commonDir, 'rigor', 'runs')
/** Where a work loop's kept sandboxes keep their RIGOR_OUT, /tmp and /dev/shm (sandbox-slots.ts). */
export const slotsDirectory = (commonDir: string): string => join(commonDir, 'rigor', 'slots')

export const RunRecord = z.object({
  run: z.string(),
  node: z.string(),
  attempt: z.number().int(),
  host: z.string(),
  worker_pid: z.number().int().positive(),
  /** the worker's start time (clock ticks after boot): a later process that reused its pid is not the worker */
  worker_start: z.number().optional(),
  /**
   * the runner's process group; none in the record written before the spawn, which the one written after replaces
   * (a worker killed in between leaves a run whose processes are found by RIGOR_RUN_ID alone)
   */
  pgid: z.number().int().positive().optional(),
  /** the group leader's start time: a later group that reused the pgid is not the run's */
  pgid_start: z.number().optional(),
  sandbox: z.enum(['on', 'off']),
  started_at: z.string(),
})
export type RunRecord = z.infer<typeof RunRecord>

/**
 * Written twice, synchronously: before the spawn without `pgid`, so that no
 * runner ever lives without a record naming its worker (a worker killed between
 * the spawn and the second record left a run `rigor supervise` would not touch
 * for UNRECORDED_STALE_MS), and right after it with the group, so no await
 * separates the runner's start from its record. `pgidStart` is the group leader's start time
 * as its launcher read it (undefined: gone already, or no /proc); reading
 * /proc on the work loop's thread twice a run was 2-3% of that thread with
 * instant runners (`--cpu-prof`).
 */
export function writeRunRecord(
  file: string,
  fields: {run: string; node: string; attempt: number; pgid: number | undefined; pgidStart: number | undefined; sandbox: 'on' | 'off'},
): void {
  const {pgidStart, ...rest} = fields
  const record: RunRecord = {
    ...rest,
    host: hostname(),
    worker_pid: process.pid,
    worker_start: ownStartTime(),
    pgid_start: pgidStart,
    started_at: new Date().toISOString(),
  }
  // whole or not at all: a worker killed while it rewrites the record must not leave a truncated one, which supervise
  // could not read and so would keep, in place of the first
  const partial = `${file}.tmp`
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`)
  renameSync(partial, file)
}

export interface LeftoverReport {
  /** runs of dead workers whose processes were killed, with the pids */
  killed: Array<{run: string; node?: string; pids: number[]}>
  /** run directories removed */
  removed: string[]
}

/** Kills the leftovers of dead workers on this host and removes their run directories; runs of live workers and other hosts are left alone. */
export async function cleanLeftoverRuns(runsDir: string, now = new Date()): Promise<LeftoverReport> {
  const report: LeftoverReport = {killed: [], removed: []}
  let entries: string[]
  try {
    entries = await readdir(runsDir)
  } catch {
    return report
  }
  for (const run of entries.sort()) {
    const dir = join(runsDir, run)
    const record = await readRecord(join(dir, RUN_RECORD))
    if (record === 'missing') {
      const age = await stat(dir).then(
        (s) => now.getTime() - s.mtimeMs,
        () => 0,
      )
      if (age < UNRECORDED_STALE_MS) continue
    } else if (!record || record.host !== hostname() || workerAlive(record)) continue
    const pids = killLeftovers(run, record === 'missing' ? undefined : record)
    if (pids.length > 0) report.killed.push({run, node: record === 'missing' ? undefined : record.node, pids})
    removeTree(dir)
    report.removed.push(run)
  }
  return report
}

async function readRecord(file: string): Promise<RunRecord | 'missing' | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return 'missing'
  }
  try {
    const parsed = RunRecord.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

function workerAlive(record: RunRecord): boolean {
  if (!isAlive(record.worker_pid)) return false
  const info = procInfo(record.worker_pid)
  return !info || record.worker_start === undefined || info.startTime === record.worker_start
}

/**
 * SIGKILLs the run's processes: those carrying its marker, and the members of
 * its process group unless the pgid now belongs to a later process. Without
 * /proc the group is killed on the record's word.
 */
function killLeftovers(run: string, record: RunRecord | undefined): number[] {
  const table = processTable()
  if (table.length === 0) {
    if (record?.pgid === undefined) return []
    try {
      process.kill(-record.pgid, 'SIGKILL')
      return [record.pgid]
    } catch {
      return []
    }
  }
  const pgid = record?.pgid
  const leader = pgid === undefined ? undefined : table.find((p) => p.pid === pgid)
  const groupIsOurs = pgid !== undefined && (!leader || record!.pgid_start === undefined || leader.startTime === record!.pgid_start)
  const marker = `${RUN_MARKER}=${run}`
  const victims = table.filter((p: ProcInfo) => p.pid !== process.pid && ((groupIsOurs && p.pgid === pgid) || hasEnvEntry(p.pid, marker)))
  for (const victim of victims) {
    try {
      process.kill(victim.pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  return victims.map((v) => v.pid)
}

/**
 * A run of `node` at `attempt` that a live worker of this machine is running now,
 * found by its run record: `rigor run` must not start the same claim a second time.
 */
export async function liveRunOf(runsDir: string, node: string, attempt: number): Promise<RunRecord | undefined> {
  let runs: string[]
  try {
    runs = await readdir(runsDir)
  } catch {
    return undefined
  }
  for (const run of runs) {
    const record = await readFile(join(runsDir, run, RUN_RECORD), 'utf8')
      .then((text) => RunRecord.safeParse(JSON.parse(text)))
      .catch(() => undefined)
    if (!record?.success) continue
    const r = record.data
    if (r.node !== node || r.attempt !== attempt || r.host !== hostname()) continue
    const worker = procInfo(r.worker_pid)
    if (isAlive(r.worker_pid) && (r.worker_start === undefined || worker?.startTime === r.worker_start)) return r
  }
  return undefined
}
