import {existsSync} from 'node:fs'
import {mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import * as z from 'zod'
import {CheckFailedError, InputError} from '../errors.js'
import {acquireLock, LockTimeoutError} from '../git/process-lock.js'
import {isAlive, procInfo} from '../proc.js'
import {CycleRecord, IsoTime, type CycleStepRecord} from '../schemas/index.js'
import {formatIssuePath} from '../state/documents.js'
import type {Workspace} from '../state/workspace.js'

/**
 * Where a checkout keeps its cycles, under its own git directory (never
 * committed): the cycle in progress (also the mark that one is running), each
 * finished cycle's record, the cancel request `rigor cycle cancel` leaves for
 * the running cycle, and the lock taken while a cycle starts or is cancelled.
 */
export interface CycleFiles {
  dir: string
  current: string
  finished: (id: string) => string
  finishedDir: string
  cancel: string
  lock: string
}

export function cycleFiles(gitDir: string): CycleFiles {
  const dir = join(gitDir, 'rigor')
  const finishedDir = join(dir, 'cycles')
  return {
    dir,
    current: join(dir, 'cycle.json'),
    finishedDir,
    finished: (id) => join(finishedDir, `${id}.json`),
    cancel: join(dir, 'cycle-cancel.json'),
    lock: join(dir, 'cycle.lock'),
  }
}

/** What `rigor cycle cancel` leaves for the running cycle before it signals it. */
const CancelRequest = z.strictObject({id: z.string(), requested_at: IsoTime, by_pid: z.number().int()})
export type CancelRequest = z.infer<typeof CancelRequest>

/** The progress file an older rigor kept: the steps it finished and their results. */
const LegacyProgress = z.object({
  id: z.string(),
  started_at: IsoTime,
  pid: z.number().int().positive(),
  done: z.array(z.string()),
  results: z.record(z.string(), z.unknown()).default({}),
})

/** A record, or undefined when there is none; a damaged one is an InputError naming the file and what to do. */
export async function readCycleRecord(file: string, worker: string): Promise<CycleRecord | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new InputError(`not JSON: ${(err as Error).message}`, {
      file,
      fix: `remove ${file}: rigor writes cycle records itself, and a cycle never runs a finished node twice`,
    })
  }
  const legacy = LegacyProgress.safeParse(raw)
  if (legacy.success && !(raw as {version?: unknown}).version) return fromLegacy(legacy.data, worker)
  const parsed = CycleRecord.safeParse(raw)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  throw new InputError(issue.message, {
    file,
    field: formatIssuePath(issue.path),
    fix: `remove ${file}: rigor writes cycle records itself, and a cycle never runs a finished node twice`,
  })
}

function fromLegacy(old: z.infer<typeof LegacyProgress>, worker: string): CycleRecord {
  const steps: CycleStepRecord[] = ['design', 'work', 'audit', 'rank', 'report'].map((name) => ({
    name: name as CycleStepRecord['name'],
    status: old.done.includes(name) ? 'succeeded' : 'pending',
    attempts: old.done.includes(name) ? 1 : 0,
    cost_usd: 0,
    ...(old.results[name] === undefined ? {} : {result: old.results[name]}),
  }))
  return {
    version: 1,
    id: old.id,
    started_at: old.started_at,
    finished_at: null,
    host: hostname(),
    pid: old.pid,
    pid_start: null,
    worker,
    outcome: 'running',
    steps,
    cost_usd: 0,
  }
}

/** Written whole to a temporary file and renamed, so a reader (or a crash) never sees half a record. */
export async function writeCycleRecord(file: string, record: CycleRecord): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`)
  await rename(temp, file)
}

/** A finished cycle leaves cycles/<id>.json; the cycle.json that marked it in progress goes. */
export async function archiveCycle(files: CycleFiles, record: CycleRecord): Promise<void> {
  await mkdir(files.finishedDir, {recursive: true})
  await writeCycleRecord(files.finished(record.id), record)
  await rm(files.current, {force: true})
}

/** This process, as a record names it: the start time tells it from a later process given the same pid. */
export function ownProcess(): {pid: number; pid_start: number | null; host: string} {
  return {pid: process.pid, pid_start: procInfo(process.pid)?.startTime ?? null, host: hostname()}
}

/** Whether the process that runs (or ran) this cycle is still alive: the same pid, started at the same time. */
export function cycleProcessAlive(record: Pick<CycleRecord, 'pid' | 'pid_start'>): boolean {
  if (!isAlive(record.pid)) return false
  if (record.pid_start === null) return true
  const info = procInfo(record.pid)
  return info === undefined || info.startTime === record.pid_start
}

export async function readCancelRequest(files: CycleFiles): Promise<CancelRequest | undefined> {
  try {
    const parsed = CancelRequest.safeParse(JSON.parse(await readFile(files.cancel, 'utf8')))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `rigor cycle cancel` has asked this checkout's cycle to stop: it writes its request before it signals, so
 * the signal's handler (which must answer at once) can tell a cancel from an interruption. A request left by an
 * earlier cycle is removed when a cycle starts.
 */
export const cancelRequested = (gitDir: string): boolean => existsSync(cycleFiles(gitDir).cancel)

export async function writeCancelRequest(files: CycleFiles, request: CancelRequest): Promise<void> {
  await writeFile(files.cancel, `${JSON.stringify(request)}\n`)
}

/** Holds the checkout's cycle lock while `fn` decides whether a cycle starts, resumes or is cancelled. */
export async function withCycleLock<T>(files: CycleFiles, fn: () => Promise<T>): Promise<T> {
  await mkdir(files.dir, {recursive: true})
  let release: () => Promise<void>
  try {
    release = await acquireLock(files.lock, {staleMs: 120_000, timeoutMs: 60_000, purpose: 'starting or cancelling a cycle'})
  } catch (err) {
    if (err instanceof LockTimeoutError)
      throw new CheckFailedError(`${err.file} is held by ${err.holder}`, {
        fix: 'another rigor cycle is starting or being cancelled in this checkout: try again in a minute',
      })
    throw err
  }
  try {
    return await fn()
  } finally {
    await release()
  }
}

export interface CycleListing {
  id: string
  started_at: string
  finished_at: string | null
  /** `running` for a live cycle; `interrupted` for one whose process is gone, which the next `rigor cycle` resumes */
  outcome: CycleRecord['outcome'] | 'interrupted'
  steps: Array<{name: string; status: string; attempts: number}>
  cost_usd: number
  pid: number
}

/** The cycle in progress and the finished ones, newest first; a damaged record is named, not fatal. */
export async function listCycles(
  ws: Workspace,
  opts: {worker: string; limit: number},
): Promise<{cycles: CycleListing[]; problems: Array<{file: string; message: string}>}> {
  const files = cycleFiles(ws.repo.paths.gitDir)
  const problems: Array<{file: string; message: string}> = []
  const records: CycleRecord[] = []
  const names = await readdir(files.finishedDir).catch(() => [] as string[])
  const paths = [files.current, ...names.filter((n) => n.endsWith('.json')).map((n) => join(files.finishedDir, n))]
  for (const path of paths) {
    try {
      const record = await readCycleRecord(path, opts.worker)
      if (record) records.push(record)
    } catch (err) {
      // the message without the file in front: the listing names it (and the command prints it) already
      const message = (err as Error).message
      problems.push({
        file: path,
        message: message.startsWith(`${path}, `) || message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message,
      })
    }
  }
  records.sort((a, b) => b.started_at.localeCompare(a.started_at) || b.id.localeCompare(a.id))
  const cycles = records.slice(0, opts.limit).map(
    (r): CycleListing => ({
      id: r.id,
      started_at: r.started_at,
      finished_at: r.finished_at,
      outcome: r.outcome === 'running' && !cycleProcessAlive(r) ? 'interrupted' : r.outcome,
      steps: r.steps.map((s) => ({name: s.name, status: s.status, attempts: s.attempts})),
      cost_usd: r.cost_usd,
      pid: r.pid,
    }),
  )
  return {cycles, problems}
}
