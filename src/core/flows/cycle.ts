import {isAlive} from '../proc.js'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {designNodes, type DesignResult} from '../agent/design.js'
import {auditTopCandidates} from '../auditor/top.js'
import {rankNodes, type RankResult} from '../views/rank.js'
import {writeDailyReport} from '../views/report.js'
import type {RunGroups} from '../proc.js'
import {runWorkLoop, type WorkEvent, type WorkSummary} from './worker.js'
import type {Workspace} from '../state/workspace.js'
import {policies} from './policies.js'
import {releaseHeld} from '../dag/claims.js'
import {CheckFailedError} from '../errors.js'
import {ATTR, type Telemetry} from '../telemetry/telemetry.js'
import {observeStep} from './cycle-step.js'
import {notifyAudit} from './notify.js'

export const CYCLE_STEPS = ['design', 'work', 'audit', 'rank', 'report'] as const
export type CycleStep = (typeof CYCLE_STEPS)[number]

interface CycleProgress {
  id: string
  started_at: string
  pid: number
  done: CycleStep[]
  results: Partial<Record<CycleStep, unknown>>
}

export interface CycleResult {
  id: string
  resumed: boolean
  /** nodes a crashed earlier run of the cycle held, put back before working */
  released: string[]
  design?: DesignResult
  work?: WorkSummary
  audit?: Array<{id: string; verdict: 'PASS' | 'FAIL'; file: string}>
  rank?: Pick<RankResult, 'file'> & {kept: string[]}
  report?: {files: string[]; health_score: number}
}

export interface CycleOptions {
  parallel: number
  designCount: number
  keep: number
  onStep?: (step: CycleStep, state: 'start' | 'done' | 'skipped', detail?: string) => void
  onWork?: (event: WorkEvent) => void
  signal?: AbortSignal
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /** the cycle's span: each step is a span under it (telemetry/telemetry.ts); none by default */
  telemetry?: Telemetry
}

/** The worker name of this machine's cycle: stable, so a rerun can take back what a crashed run held. */
export const cycleWorker = (): string => `cycle@${hostname().split('.')[0]!.toLowerCase()}`

/**
 * One research cycle: design, work until nothing is claimable, audit the top
 * candidates not audited yet, rank, report.
 * Progress is kept in .git/rigor/cycle.json; run it again after a crash and it
 * continues with the first unfinished step, after putting back the nodes the
 * crashed run held (finished nodes are never run again).
 */
export async function runCycle(ws: Workspace, opts: CycleOptions): Promise<CycleResult> {
  const file = join(ws.repo.paths.gitDir, 'rigor', 'cycle.json')
  await mkdir(join(ws.repo.paths.gitDir, 'rigor'), {recursive: true})
  const previous = await readProgress(file)
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new CheckFailedError(`another rigor cycle (pid ${previous.pid}) is running in this checkout`, {
      fix: `wait for it to finish, or stop it (kill ${previous.pid}); the next rigor cycle resumes where it stopped`,
    })
  }
  const progress: CycleProgress = previous
    ? {...previous, pid: process.pid}
    : {id: new Date().toISOString().replace(/[:.]/g, '-'), started_at: new Date().toISOString(), pid: process.pid, done: [], results: {}}
  await writeFile(file, JSON.stringify(progress, null, 2))
  const worker = cycleWorker()
  opts.telemetry?.set({[ATTR.cycleId]: progress.id, 'rigor.cycle.resumed': Boolean(previous)})
  const result: CycleResult = {
    id: progress.id,
    resumed: Boolean(previous),
    released: previous ? await releaseHeld(ws, worker, () => true, 'of a crashed cycle') : [],
  }
  const step = async <T>(name: CycleStep, fn: (telemetry: Telemetry) => Promise<T>): Promise<T | undefined> => {
    if (progress.done.includes(name)) {
      opts.onStep?.(name, 'skipped', 'done before the restart')
      return progress.results[name] as T
    }
    if (opts.signal?.aborted) return undefined
    opts.onStep?.(name, 'start')
    const value = await observeStep(ws, opts.telemetry, progress.id, name, fn)
    if (opts.signal?.aborted) return value
    progress.done.push(name)
    progress.results[name] = value
    await writeFile(file, JSON.stringify(progress, null, 2))
    opts.onStep?.(name, 'done')
    return value
  }
  result.design = await step('design', (telemetry) => designNodes(ws, {count: opts.designCount, telemetry}))
  result.work = await step('work', (telemetry) =>
    runWorkLoop(ws, {
      admission: policies.admission,
      worker,
      parallel: opts.parallel,
      onEvent: opts.onWork,
      signal: opts.signal,
      groups: opts.groups,
      telemetry,
    }),
  )
  result.audit = await step('audit', (telemetry) =>
    auditTopCandidates(ws, {
      telemetry,
      onAudited: (outcome) => notifyAudit(ws, outcome),
      count: opts.keep,
      auditor: `auditor-${hostname()
        .split('.')[0]!
        .toLowerCase()
        .replace(/[^a-z0-9._-]/g, '-')}`,
    }),
  )
  result.rank = await step('rank', async () => {
    const ranked = await rankNodes(ws, {objective: 'sharpe', keep: opts.keep, by: worker})
    return {file: ranked.file, kept: ranked.ranking.kept}
  })
  result.report = await step('report', async () => {
    const report = await writeDailyReport(ws, {auditStats: policies.auditStats, by: worker})
    return {files: report.files, health_score: report.report.health_score}
  })
  if (CYCLE_STEPS.every((s) => progress.done.includes(s))) await rm(file, {force: true})
  return result
}

async function readProgress(file: string): Promise<CycleProgress | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CycleProgress
  } catch {
    return undefined
  }
}
