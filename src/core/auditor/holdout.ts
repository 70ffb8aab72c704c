import canonicalizeModule from 'canonicalize'
import {sha256Hex} from '../state/checksum.js'
import {parseDateCell, type PriceTable} from '../data/price-file.js'
import {pathMetrics} from '../backtest/metrics.js'
import {dumpStateDocument, loadStateDocument} from '../state/documents.js'
import {CheckFailedError, RigorError} from '../errors.js'
import {holdoutBoundary} from '../state/holdout.js'
import {nowIso} from '../state/node-files.js'
import {HoldoutOpening, type AuditCheck, type AuditHoldout, type HoldoutConfig, type NodeFile} from '../schemas/index.js'
import {
  deflatedSharpeRatio,
  kurtosis,
  mean,
  negligibleSpread,
  sharpeOrZero,
  skewness,
  standardDeviation,
  varianceOfSharpeRatios,
} from '../stats/index.js'
import type {Snapshot} from '../state/store.js'
import {listTreeFiles, readBlobs} from '../state/tree-files.js'
import {pathsEverUnder} from '../state/file-changes.js'
import type {Workspace} from '../state/workspace.js'
import {familyKey, type Family} from './family.js'
import {tableData, type AuditRunner} from './rerun.js'

const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined
/** fewer holdout periods than this say nothing about the strategy */
const MIN_HOLDOUT_PERIODS = 10
const HOLDOUT_FILE = /\/holdout-[0-9a-f]+\.yaml$/

export const holdoutFilePath = (id: string, artifacts: Record<string, string>): string =>
  `audits/${id}/holdout-${sha256Hex(canonicalize(artifacts) ?? '').slice(0, 16)}.yaml`

export interface HoldoutResult {
  opening: Omit<HoldoutOpening, 'checksum'>
  file: string
  /** true when this audit opened the holdout; false when an earlier audit of the same artifacts had */
  opened: boolean
  /** the returns of the holdout period, for the chart */
  returns: Array<[string, number]>
}

/**
 * Scores the sealed holdout once per version of a node's artifacts: re-runs the
 * node on the full data and measures only the rows the research never saw
 * (Sharpe, DSR with the family's N, drawdown). A second audit of the same
 * artifacts reuses the opening instead of looking again; every opening of the
 * family is counted, because each look at the holdout makes it less of one.
 */
export async function scoreHoldout(
  ws: Workspace,
  snap: Snapshot,
  input: {
    node: NodeFile
    artifacts: Record<string, string>
    full: PriceTable
    dataPath: string
    family: Family
    runner: AuditRunner
    holdout: HoldoutConfig
    periodsPerYear: number
    by: string
    now: Date
  },
): Promise<HoldoutResult> {
  const file = holdoutFilePath(input.node.id, input.artifacts)
  const openings = await familyOpenings(ws, snap, input.family.key)
  if (openings.some((o) => o.file === file && o.removed))
    throw new CheckFailedError(
      `the sealed holdout of these artifacts of ${input.node.id} was opened before, and its record ${file} has since been removed: a holdout is opened once`,
      {
        fix: `put the record back (git log -1 -- ${file} names the commit that removed it: git checkout <that commit>^ -- ${file}), commit, then audit again`,
      },
    )
  const earlier = openings.find((o) => o.file === file)
  const boundary = holdoutBoundary(input.full, input.holdout)
  if (earlier) return {opening: earlier.opening, file, opened: false, returns: (await holdoutReturns(input, boundary)).returns}
  const {returns, notANumber} = await holdoutReturns(input, boundary)
  const values = returns.map(([, r]) => r)
  const path = pathMetrics(Float64Array.from(values))
  const perPeriod = sharpeOrZero(values)
  const sharpes = input.family.members.map((m) => sharpeOrZero([...m.returns.values()]))
  const variance =
    sharpes.length > 1 ? varianceOfSharpeRatios(sharpes) : values.length > 1 && input.family.trials > 1 ? 1 / (values.length - 1) : 0
  // a strategy flat through the holdout has no skewness or kurtosis to deflate by, and shows nothing there
  const varies = values.length >= 2 && !negligibleSpread(standardDeviation(values), mean(values))
  const dsr =
    values.length >= MIN_HOLDOUT_PERIODS && varies
      ? deflatedSharpeRatio({
          sharpe: perPeriod,
          nTrials: input.family.trials,
          varianceOfTrialSharpes: variance,
          nObs: values.length,
          skewness: skewness(values),
          kurtosis: kurtosis(values),
        }).dsr
      : 0
  const sharpe = perPeriod * Math.sqrt(input.periodsPerYear)
  const why: string[] = []
  if (boundary.index >= boundary.rows) why.push(`the data has no row on or after the holdout's start: nothing was sealed`)
  else if (values.length < MIN_HOLDOUT_PERIODS)
    why.push(`${values.length} holdout period(s) with returns; at least ${MIN_HOLDOUT_PERIODS} are needed`)
  else if (!varies)
    why.push(`its ${values.length} holdout returns never vary (it held no position there): the holdout shows nothing about the strategy`)
  // left out, a loss it hid as NaN would raise the score: the runner may tell the holdout run by the data's length
  if (notANumber)
    why.push(
      `its re-run on the full data reported "${notANumber.value}" for ${notANumber.date}, not a number: a holdout with returns left out cannot be scored`,
    )
  if (sharpe < input.holdout.min_sharpe)
    why.push(`an annualised Sharpe ratio of ${sharpe.toFixed(2)} in the holdout, below holdout.min_sharpe ${input.holdout.min_sharpe}`)
  const sealed = await researchRunsSealed(ws, snap, [input.node.id, ...input.family.members.map((m) => m.id)])
  const opening: Omit<HoldoutOpening, 'checksum'> = {
    node: input.node.id,
    family: input.family.key,
    family_rule: input.family.rule,
    artifacts_key: file.slice(file.lastIndexOf('-') + 1, -'.yaml'.length),
    opened_at: nowIso(input.now),
    by: input.by,
    data: input.dataPath,
    from: boundary.from ?? '',
    to: returns.at(-1)?.[0] ?? boundary.from ?? '',
    periods: values.length,
    sharpe,
    sharpe_per_period: perPeriod,
    dsr,
    trials: input.family.trials,
    // as the kit's metrics: a book at or below 0 is ruined and stays there (no drawdown past 100%)
    max_drawdown: path.max_drawdown,
    total_return: path.total_return,
    min_sharpe: input.holdout.min_sharpe,
    passed: why.length === 0,
    sealed,
    why,
    openings_in_family: openings.length + 1,
  }
  return {opening, file, opened: true, returns}
}

async function holdoutReturns(
  input: {full: PriceTable; runner: AuditRunner},
  boundary: {from: string | undefined},
): Promise<{returns: Array<[string, number]>; notANumber?: {date: string; value: number}}> {
  if (!boundary.from) return {returns: []}
  const rerun = await input.runner.run({data: tableData(input.full), opening: true})
  if (!rerun.ok)
    throw new RigorError(`the node could not run on the full data to score the holdout: ${rerun.reason}`, {
      fix: 'fix the runner, then audit again',
    })
  const start = parseDateCell(boundary.from)
  const inHoldout = [...rerun.returns.entries()]
    .filter(([date]) => parseDateCell(date) >= start)
    .sort((a, b) => parseDateCell(a[0]) - parseDateCell(b[0]))
  const bad = inHoldout.find(([, r]) => !Number.isFinite(r))
  return {
    returns: inHoldout.filter(([, r]) => Number.isFinite(r)),
    ...(bad ? {notANumber: {date: bad[0], value: bad[1]}} : {}),
  }
}

/**
 * Every opening of the family's holdout committed so far. A record that cannot be read, or that the branch once had
 * and no longer has (removed by a commit: rigor never removes one), counts as an opening of every family.
 */
async function familyOpenings(
  ws: Workspace,
  snap: Snapshot,
  family: string,
): Promise<Array<{file: string; opening: HoldoutOpening; removed?: boolean}>> {
  const files = (await listTreeFiles(ws.repo, snap.tree, 'audits', {recursive: true})).filter((f) => HOLDOUT_FILE.test(f.path))
  const blobs = await readBlobs(
    ws.repo,
    files.map((f) => f.oid),
  )
  const out: Array<{file: string; opening: HoldoutOpening; removed?: boolean}> = []
  files.forEach((f, i) => {
    try {
      const opening = loadStateDocument(HoldoutOpening, blobs[i]!.toString('utf8'), f.path)
      if (opening.family === family) out.push({file: f.path, opening})
    } catch {
      // a broken record is `rigor verify`'s to report; it still was an opening, so it counts
      out.push({file: f.path, opening: {family} as HoldoutOpening})
    }
  })
  const present = new Set(files.map((f) => f.path))
  const ever = snap.commit ? await pathsEverUnder(ws.repo, snap.commit, 'audits') : []
  for (const path of ever.filter((p) => HOLDOUT_FILE.test(p) && !present.has(p)))
    out.push({file: path, opening: {family} as HoldoutOpening, removed: true})
  return out
}

/** Whether every research run of these nodes ran in the sandbox, where the data file's own path showed only research rows. */
async function researchRunsSealed(ws: Workspace, snap: Snapshot, ids: string[]): Promise<boolean> {
  for (const id of new Set(ids)) {
    const record = snap.nodes.get(id)
    const verdict = record ? await ws.store.verdict(record).catch(() => undefined) : undefined
    if (verdict?.sandbox !== 'on') return false
  }
  return true
}

export function renderOpening(opening: Omit<HoldoutOpening, 'checksum'>): string {
  return dumpStateDocument(opening as unknown as Record<string, unknown>)
}

/** The audit's check and its record of the holdout: the check fails when the holdout does. */
export function holdoutCheckAndRecord(result: HoldoutResult): {check: AuditCheck; holdout: AuditHoldout} {
  const o = result.opening
  const viewed = o.openings_in_family > 1 ? `; holdout viewed ${o.openings_in_family} times: it is no longer a clean holdout` : ''
  const unsealed = o.sealed
    ? ''
    : '; NOT SEALED: research runs of this family ran without the sandbox, so they could read the full data file'
  const summary = `${o.passed ? 'passed' : 'failed'}: Sharpe ${o.sharpe.toFixed(2)} (annualised) over ${o.periods} periods from ${o.from}, DSR ${o.dsr.toFixed(3)} with N = ${o.trials}, max drawdown ${(o.max_drawdown * 100).toFixed(1)}%${viewed}${unsealed}`
  const figures = {
    from: o.from,
    to: o.to,
    periods: o.periods,
    sharpe_annualised: o.sharpe,
    sharpe_per_period: o.sharpe_per_period,
    dsr: o.dsr,
    trials: o.trials,
    max_drawdown: o.max_drawdown,
    total_return: o.total_return,
    openings_in_family: o.openings_in_family,
    sealed: o.sealed,
    opened_by_this_audit: result.opened,
  }
  const check: AuditCheck = {
    name: 'holdout.score',
    result: o.passed ? 'pass' : 'fail',
    figures,
    threshold: {min_sharpe_annualised: o.min_sharpe},
    ...(o.passed ? {} : {reason: o.why.join('; ')}),
  }
  return {
    check,
    holdout: {
      summary,
      from: o.from,
      passed: o.passed,
      to: o.to,
      sealed: o.sealed,
      openings: o.openings_in_family,
      sharpe: o.sharpe,
      dsr: o.dsr,
      file: result.file,
    },
  }
}

/**
 * The openings of the sealed holdout of `id`'s family, oldest first: what
 * `rigor show` lists, so everyone sees how often the family's holdout was looked at.
 */
export async function holdoutOpeningsOf(
  ws: Workspace,
  id: string,
): Promise<
  | {
      family: string
      openings: Array<Pick<HoldoutOpening, 'node' | 'opened_at' | 'by' | 'passed' | 'sharpe' | 'sealed'> & {file: string}>
      /** records of openings that cannot be read (corrupt, invalid, removed by a commit): the audit counts each as an opening of every family */
      unreadable: string[]
    }
  | undefined
> {
  const snap = await ws.currentSnapshot()
  const node = snap.nodes.get(id)?.node
  if (!node) return undefined
  const {key, rule} = familyKey(node)
  const all = await familyOpenings(ws, snap, key)
  const openings = all
    .filter((o) => o.opening.node !== undefined)
    .map((o) => ({
      file: o.file,
      node: o.opening.node,
      opened_at: o.opening.opened_at,
      by: o.opening.by,
      passed: o.opening.passed,
      sharpe: o.opening.sharpe,
      sealed: o.opening.sealed,
    }))
    .sort((a, b) => a.opened_at.localeCompare(b.opened_at))
  const unreadable = all.filter((o) => o.opening.node === undefined).map((o) => o.file)
  return {family: rule, openings, unreadable}
}
