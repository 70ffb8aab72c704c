import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import type {PriceSeries} from '../backtest/prices.js'
import {priceTableText, type PriceTable} from '../data/price-file.js'
import {parseTimeout, readRunnerReport, runProcess} from '../dag/runner.js'
import {sandboxPolicy, type Overlay} from '../dag/sandbox.js'
import {removeTree} from '../dag/remove-tree.js'
import {readStrategyFiles, type RunnerFile} from '../dag/outputs.js'
import type {RunGroups} from '../proc.js'
import type {NodeFile, RunnerLimits, SandboxMode} from '../schemas/index.js'
import {seriesByDate} from './csv.js'
import type {OtherDataRequest} from './other-data.js'
import {hidingOverlays} from './own-outputs.js'
import type {Permutation} from './permuted-data.js'

export interface Rerun {
  ok: boolean
  reason?: string
  returns: Map<string, number>
  positions: Map<string, number>
}

/**
 * Altered data for one re-run: its table, which a process runner reads as a
 * CSV file, and, when whoever made the copy knew them, the numbers
 * priceSeries would read from that table (the in-process kit runs on them
 * without parsing the copy's text).
 */
export interface RerunData {
  /** where the data came from, for messages */
  readonly file: string
  table(): PriceTable
  readonly series?: PriceSeries
}

/** A table as re-run data; `series` only when it is exactly priceSeries(table). */
export const tableData = (table: PriceTable, series?: PriceSeries): RerunData => ({file: table.file, table: () => table, series})

/** What a check changes for one re-run; everything else is the node's own run. */
export interface RerunRequest {
  /** altered data; without it the committed data file, byte for byte */
  data?: RerunData
  seed?: number
  /** RIGOR_COST_MULTIPLIER: the one way the auditor raises costs (params are never touched) */
  costMultiplier?: number
  /** the holdout's opening: the other data files show whole too, as the strategy would read them in that period */
  opening?: boolean
  /** a truncation re-run: the date of the first row cut from the data; every other data file ends before it too */
  truncatedFrom?: string
  /**
   * a permutation re-run: how `data` was shuffled and demeaned, and its dates;
   * every other dated data file is shuffled with the same permutation of dates
   * (permuted-data.ts)
   */
  permutation?: Permutation
}

/** Runs the node again on altered inputs: the built-in kit in process, any other runner as a process. */
export interface AuditRunner {
  kind: 'kit' | 'process'
  run(req: RerunRequest): Promise<Rerun>
}

const failed = (reason: string): Rerun => ({ok: false, reason, returns: new Map(), positions: new Map()})

/** The node's own command in a private directory, with RIGOR_DATA pointing at the altered copy: any protocol runner can be audited. */
export function processRunner(opts: {
  node: NodeFile
  root: string
  dataPath?: string
  defaultTimeoutMs: number
  limits: RunnerLimits
  /** rigor.yaml's runner defaults (sandbox, network): an audit re-run is sandboxed like the run */
  runner: {sandbox: SandboxMode; network: boolean}
  warn?: (message: string) => void
  /** the stage inputs the run read, staged again: RIGOR_INPUT_* and the directory the sandbox shows */
  inputs?: {env: Record<string, string>; dir: string}
  /** aborted by a stop (Ctrl-C, SIGTERM): the re-run's process group is stopped */
  signal?: AbortSignal
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /**
   * the other declared data files as a re-run shows them (other-data.ts): cut before the holdout but in the opening,
   * at the truncation's date, shuffled with the permutation's dates
   */
  otherData?: (req: OtherDataRequest) => Promise<Overlay[]>
  /**
   * where each re-run makes its own directory (its data, RIGOR_OUT): under the git directory, which every sandbox
   * hides, never the host's TMPDIR, which a sandbox shows when it lies outside /tmp: another run there could read an
   * opening's whole data file or another re-run's outputs
   */
  scratch: string
  /**
   * the audited node's own experiments/<id>/ in every checkout (own-outputs.ts), shown empty: a re-run that read the
   * positions its run committed could replay them on every altered copy
   */
  hiddenDirs?: string[]
}): AuditRunner {
  return {
    kind: 'process',
    async run(req) {
      // stopped: the audit will write nothing, so no re-run is started only to be stopped
      if (opts.signal?.aborted) return failed('the audit was stopped')
      await mkdir(opts.scratch, {recursive: true})
      const dir = await mkdtemp(join(opts.scratch, 'rerun-'))
      try {
        let dataPath = opts.dataPath
        if (req.data) {
          dataPath = join(dir, 'data.csv')
          await writeFile(dataPath, priceTableText(req.data.table()))
        }
        const outDir = join(dir, 'out')
        const timeoutMs = parseTimeout(opts.node.run.timeout, opts.defaultTimeoutMs)
        const extraEnv = {
          ...opts.inputs?.env,
          ...(req.costMultiplier === undefined ? {} : {RIGOR_COST_MULTIPLIER: String(req.costMultiplier)}),
        }
        const outcome = await runProcess({
          node: opts.node,
          workspaceRoot: opts.root,
          outDir,
          timeoutMs,
          seed: req.seed ?? 0,
          dataPath,
          signal: opts.signal,
          groups: opts.groups,
          extraEnv,
          sandbox: sandboxPolicy(opts.runner, opts.node.run),
          warn: opts.warn,
          readableDirs: opts.inputs ? [opts.inputs.dir] : [],
          // a runner that opens the data file by its workspace path sees the altered copy too, bound after the sealed
          // files: a view of its directory (sealed-data.ts) holds a place for it
          overlays: await withHidden(opts.hiddenDirs ?? [], join(dir, 'empty'), [
            ...((await opts.otherData?.(req)) ?? []),
            ...(dataPath && opts.node.data ? [{source: dataPath, target: resolve(opts.root, opts.node.data)}] : []),
          ]),
        })
        const report = await readRunnerReport(outDir, outcome, timeoutMs, opts.limits)
        if (!report.ok) return failed(report.reason)
        const files = readStrategyFiles(outDir, opts.limits.file_size)
        if (!files.ok) return failed(files.reason)
        const series = (file: RunnerFile, kind: 'return' | 'position') => seriesByDate(file.ok ? file.text : 'date,value\n', kind)
        return {ok: true, returns: series(files.returns, 'return'), positions: series(files.positions, 'position')}
      } finally {
        removeTree(dir)
      }
    },
  }
}

/** `overlays` after the ones hiding `dirs` behind `empty`, a directory made for them. */
async function withHidden(dirs: readonly string[], empty: string, overlays: Overlay[]): Promise<Overlay[]> {
  const hiding = hidingOverlays(dirs, empty, overlays)
  if (hiding.length > 0) await mkdir(empty, {recursive: true})
  return [...hiding, ...overlays]
}

/** Runs tasks with at most `limit` at once, results in order. */
export async function inBatches<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(limit, tasks.length)}, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await tasks[i]!()
      }
    }),
  )
  return results
}
