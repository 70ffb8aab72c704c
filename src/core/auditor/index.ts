import {randomInt} from 'node:crypto'
import {rm} from 'node:fs/promises'
import {extname, join} from 'node:path'
import {artifactStore} from '../dag/artifact-store.js'
import {stageRecordedInputs} from '../dag/inputs.js'
import {committedDataFile, materialiseBlob} from '../state/data-files.js'
import {priceTableText} from '../data/price-file.js'
import {CheckFailedError, InputError, stoppedError} from '../errors.js'
import {researchDataFile, researchTable} from '../state/holdout.js'
import type {CommitSigner} from '../git/signing.js'
import type {RunGroups} from '../proc.js'
import {independenceProblem} from './isolation.js'
import {assertListedAuditor} from '../state/signing-key.js'
import {nowIso} from '../state/node-files.js'
import type {AuditIssue, AuditRecord, NodeFile, VerdictFile} from '../schemas/index.js'
import {readableNode} from '../state/store.js'
import {scratchDir} from '../state/scratch-dirs.js'
import {lowerNameProblem} from '../validation.js'
import {readBlobs} from '../state/tree-files.js'
import type {Workspace} from '../state/workspace.js'
import {equityChartSvg} from './chart.js'
import {holdoutCheckAndRecord, renderOpening, scoreHoldout} from './holdout.js'
import type {CheckContext} from './checks/context.js'
import {readData, runnerAccounting} from './inputs.js'
import {decideVerdict, runChecks, summaryOf} from './verdict.js'
import {finiteSeriesByDate, seriesFault} from './csv.js'
import {resolveFamily} from './family.js'
import {auditPeriodsPerYear} from './periods-per-year.js'
import {editedRunData} from './run-data.js'
import {readRunOutput} from './run-outputs.js'
import {kitCommand, kitRunner} from './kit-runner.js'
import {renderAuditFiles, sidecarPath} from './record.js'
import {runOutputDirs} from './own-outputs.js'
import {otherDataFiles} from './other-data.js'
import {processRunner} from './rerun.js'
import {auditsDirPath, outDirPath, verdictFilePath} from '../state/layout.js'
import {artifactDifferences, currentArtifacts, describeDifferences} from '../state/artifacts.js'
import {ATTR, noTelemetry, type Telemetry} from '../telemetry/telemetry.js'

export {decideVerdict} from './verdict.js'

/** An auditor may not audit what it ran, seeded or designed (an agent designer counts): one rule, shared with the deploy gate. */
const holdoutIssue = (summary: string): Omit<AuditIssue, 'id'> => ({
  severity: 'critical',
  category: 'overfitting',
  description: `the sealed holdout, the data the research never saw, ${summary}`,
  location: "the holdout period of the node's data",
  remediation:
    'do not deploy: the edge did not survive data it was not selected on. A new variant needs a new holdout period (the old one has been seen)',
})

export const isolationProblem = (node: NodeFile, worker: string | undefined, auditor: string): string | undefined =>
  independenceProblem(node, worker, auditor)

export interface AuditOutcome {
  /** the full record (what `rigor audit --json` prints) */
  front: Omit<AuditRecord, 'checksum'>
  path: string
  details: string
  chart: string
  commit?: string
}

/**
 * The Independent Auditor: recomputes the node's returns from its positions,
 * re-runs it (the kit in process, any other runner as a process) on truncated
 * and shuffled copies of its data, at higher costs and with other seeds, and
 * deflates its Sharpe ratio for its family of trials. Writes
 * audits/<id>/<date>-<auditor>.md (short front matter, readable body), the
 * .json record beside it and an SVG chart, in one commit.
 */
export function auditNode(ws: Workspace, id: string, opts: AuditOptions): Promise<AuditOutcome> {
  return (opts.telemetry ?? noTelemetry).span('audit', {[ATTR.nodeId]: id, [ATTR.auditor]: opts.auditor}, async (span) => {
    const outcome = await auditOnce(ws, id, opts)
    span.set({[ATTR.verdict]: outcome.front.verdict})
    span.measure({kind: 'audit', verdict: outcome.front.verdict})
    return outcome
  })
}

export interface AuditOptions {
  auditor: string
  now?: Date
  signer?: CommitSigner
  telemetry?: Telemetry
  /** aborted by a stop (Ctrl-C, SIGTERM): the re-runs stop, and nothing is committed */
  signal?: AbortSignal
  /** the command's live runner groups (withAbort) */
  groups?: RunGroups
  /** where the truncation check draws its cut rows from (default: crypto's randomInt) */
  randomInt?: (min: number, maxExclusive: number) => number
}

async function auditOnce(ws: Workspace, id: string, opts: AuditOptions): Promise<AuditOutcome> {
  // the audit's private directories (its staged inputs), removed when it ends however it ends
  const scratch: string[] = []
  try {
    return await auditIn(ws, id, opts, scratch)
  } finally {
    await Promise.all(scratch.map((dir) => rm(dir, {recursive: true, force: true})))
  }
}

async function auditIn(ws: Workspace, id: string, opts: AuditOptions, scratch: string[]): Promise<AuditOutcome> {
  const now = opts.now ?? new Date()
  const auditorProblem = lowerNameProblem('auditor', opts.auditor)
  if (auditorProblem) throw new InputError(auditorProblem, {field: '--auditor', fix: 'e.g. --auditor risk-team'})
  const thresholds = ws.config.audit
  const snap = await ws.currentSnapshot()
  const record = readableNode(snap, id)
  const node = record.node
  const verdict = await ws.store.verdict(record)
  if (!verdict || (verdict.status !== 'proven_accepted' && verdict.status !== 'proven_rejected')) {
    throw new CheckFailedError(`node ${id} has no accepted or rejected verdict to audit (status ${node.status})`, {
      fix: 'run it first: rigor work',
    })
  }
  // with auditors: in rigor.yaml, only a listed auditor signing with their own key may audit
  await assertListedAuditor(ws.repo, snap.commit, opts.auditor, opts.signer)
  const isolation = isolationProblem(node, verdict.worker, opts.auditor)
  if (isolation)
    throw new CheckFailedError(`refused: ${isolation}; an auditor must be independent of the work it audits`, {
      fix: 'audit with another --auditor name',
    })
  // the audit reads the committed outputs and records that it covers the verdict's: they must be the same files, or a
  // PASS earned on edited outputs would cover the run's own once they were put back
  const changed = artifactDifferences(verdict.artifacts, (await currentArtifacts(ws.repo, snap.tree, id)).sums)
  if (changed.length > 0)
    throw new CheckFailedError(
      `refused: the committed ${outDirPath(id)}/ differs from what ${verdictFilePath(id)} recorded (${describeDifferences(changed)}); an audit would judge files its run did not write`,
      {
        fix: `put back what the run wrote (rigor verify names the commit that changed them), or run it again (rigor rerun ${id}), then audit`,
      },
    )
  const store = ws.config.artifact_store ? artifactStore(ws.config.artifact_store, ws.root) : undefined
  const read = (name: string) => readRunOutput(ws.repo, snap.commit!, verdict, name, store)
  const returnsText = await read('returns.csv')
  if (!returnsText)
    throw new CheckFailedError(`node ${id} has no out/returns.csv to audit`, {
      fix: 'its runner must write returns.csv (date,return) into RIGOR_OUT',
    })
  // a cell that is not a number is the accounting check's finding (faults below); the statistics take the others
  const returns = finiteSeriesByDate(returnsText, 'return')
  const positionsText = await read('positions.csv')
  const accounting = runnerAccounting(await read('verdict.json'))
  // the committed data, never the working tree's copy
  const dataFile = node.data
    ? await committedDataFile(ws.repo, snap.commit, node.data, {file: `experiments/${id}/node.yaml`, field: 'data'})
    : undefined
  // judged on prices it did not read, an honest run looks like a look-ahead whose returns were never earned
  const edited = dataFile && (await editedRunData(ws.repo, snap.commit!, node, verdict, dataFile.oid))
  if (edited)
    throw new CheckFailedError(
      `refused: ${node.data} changed since ${id} ran (line ${edited.line} was ${edited.was}, is now ${edited.is}); an audit would judge its run against data it did not read`,
      {
        fix: `run it again on the data as it is now (rigor rerun ${id}), then audit; or, if the change was a mistake, put back ${node.data} as it was`,
      },
    )
  const fullBytes = dataFile ? (await readBlobs(ws.repo, [dataFile.oid]))[0] : undefined
  // with a sealed holdout, every check sees what the research saw: the rows before it
  const holdout = ws.config.holdout
  const full = holdout ? readData(fullBytes, node.data, accounting).data : undefined
  const dataBytes = holdout && full ? Buffer.from(priceTableText(researchTable(full, holdout))) : fullBytes
  const dataInfo = readData(dataBytes, node.data, accounting)
  const kit = kitCommand(node.run.command)
  const inputs = verdict.inputs?.length ? await auditInputs(ws, verdict, scratch, opts.signal) : undefined
  // the permutation check's re-runs: its copies and the real data demeaned
  const otherData = otherDataFiles(ws, snap, node, holdout, {
    truncations: thresholds.truncation_cuts.length,
    permutations: thresholds.permutations + 1,
  })
  const runner =
    kit && dataInfo.data
      ? kitRunner({node, kit, data: dataInfo.data, series: dataInfo.series})
      : processRunner({
          node,
          root: ws.root,
          dataPath: dataFile
            ? holdout
              ? await researchDataFile(ws.repo, dataFile.oid, node.data!, holdout, extname(node.data!))
              : await materialiseBlob(ws.repo, dataFile.oid, extname(node.data!))
            : undefined,
          defaultTimeoutMs: ws.config.runner.default_timeout,
          limits: ws.config.runner.limits,
          runner: ws.config.runner,
          warn: (m) => ws.warnOnce(m),
          inputs,
          signal: opts.signal,
          groups: opts.groups,
          otherData: (req) => otherData.overlays(req),
          scratch: auditScratch(ws, verdict.node, scratch),
          hiddenDirs: await runOutputDirs(ws.repo),
        })
  const family = await resolveFamily(ws, snap, node)
  // weekly or monthly returns are annualised at their own rate (periods-per-year.ts), never above rigor.yaml's
  const t = {...thresholds, periods_per_year: auditPeriodsPerYear(returns.keys(), thresholds.periods_per_year)}
  const ctx: CheckContext = {
    node,
    ...dataInfo,
    returns,
    positions: positionsText ? finiteSeriesByDate(positionsText, 'position') : new Map(),
    faults: [
      {file: 'returns.csv' as const, fault: seriesFault(returnsText, 'return')},
      {file: 'positions.csv' as const, fault: positionsText ? seriesFault(positionsText, 'position') : undefined},
    ].flatMap(({file, fault}) => (fault ? [{file, ...fault}] : [])),
    accounting,
    family,
    costBps: accounting?.cost_bps ?? verdict.metrics.cost_bps ?? (typeof node.params.cost_bps === 'number' ? node.params.cost_bps : 5),
    t,
    runner,
    randomInt: opts.randomInt ?? randomInt,
  }
  // the truncation re-runs' cuts of the other data files are removed with them; the holdout's are kept, by content
  const outcomes = await runChecks(ctx).finally(() => otherData.dispose())
  stopIfAborted(opts.signal, id)
  // the sealed holdout, scored once per artifact version, after every other check has looked only at research data
  const sealed =
    holdout && full
      ? await scoreHoldout(ws, snap, {
          node,
          artifacts: verdict.artifacts,
          full,
          dataPath: node.data!,
          family,
          runner,
          holdout,
          periodsPerYear: t.periods_per_year,
          by: opts.auditor,
          now,
        })
      : undefined
  // a stopped re-run proves nothing: neither the holdout's opening nor the audit is written
  stopIfAborted(opts.signal, id)
  const scored = sealed ? holdoutCheckAndRecord(sealed) : undefined
  if (scored) outcomes.push({check: scored.check, issues: scored.check.result === 'fail' ? [holdoutIssue(scored.holdout.summary)] : []})
  if (holdout && !full)
    outcomes.push({
      check: {name: 'holdout.score', result: 'skipped', figures: {}, reason: 'the node declares no data file with dates to seal'},
      issues: [],
    })
  const checks = outcomes.map((o) => o.check)
  const issues: AuditIssue[] = outcomes.flatMap((o) => o.issues).map((issue, i) => ({id: `A${i + 1}`, ...issue}))
  const verdictText = decideVerdict(checks, issues)
  const day = nowIso(now).slice(0, 10)
  const path = `${auditsDirPath(id)}/${day}-${opts.auditor}.md`
  const chart = `${auditsDirPath(id)}/${day}-${opts.auditor}.svg`
  const front: Omit<AuditRecord, 'checksum'> = {
    verdict: verdictText,
    auditor: opts.auditor,
    audited_at: nowIso(now),
    covers: {node: id, commit: snap.commit!, artifacts: verdict.artifacts},
    summary: summaryOf(checks, issues),
    family: {
      rule: family.rule,
      trials: family.trials,
      trials_in_rigor: family.trials_in_rigor,
      trials_outside: family.trials_outside_declared + family.trials_outside_runners,
      counted: family.counted,
    },
    ...(scored ? {holdout: scored.holdout} : {}),
    checks,
    issues,
  }
  const files = renderAuditFiles(front, {report: path, chart})
  const research = [...returns.entries()]
  const svg = equityChartSvg([...research, ...(sealed?.returns ?? [])], {
    title: `${id}: out-of-sample equity${sealed ? ' and the sealed holdout' : ''}`,
    log: thresholds.chart_log_scale,
    periods:
      sealed && research.length && sealed.returns.length
        ? [
            {kind: 'research', from: research[0]![0], to: research.at(-1)![0]},
            {kind: 'holdout', from: sealed.returns[0]![0], to: sealed.returns.at(-1)![0]},
          ]
        : undefined,
  })
  if (sealed?.opened) {
    // the opening is its own commit: `git log --grep 'Rigor-Action: holdout'` counts every look at the holdout
    await ws.commit(
      async () => ({
        files: new Map([[sealed.file, renderOpening(sealed.opening)]]),
        message: {
          action: 'holdout',
          subject: `open the holdout of ${id} for ${opts.auditor}`,
          nodes: [id],
          worker: opts.auditor,
          trailers: {Family: family.key, Opening: String(sealed.opening.openings_in_family)},
        },
        result: undefined,
      }),
      {signer: opts.signer},
    )
  }
  const outcome = await ws.commit(
    async () => ({
      files: new Map([
        [path, files.report],
        [sidecarPath(path), files.details],
        [chart, svg],
      ]),
      message: {
        action: 'audit',
        subject: `audit ${id} ${verdictText} by ${opts.auditor}`,
        nodes: [id],
        worker: opts.auditor,
        trailers: {Verdict: verdictText},
      },
      result: undefined,
    }),
    {signer: opts.signer},
  )
  return {front, path, details: sidecarPath(path), chart, commit: outcome.commit}
}

/** A private directory of this audit under .git/rigor (named with its pid: see scratch-dirs.ts), removed when it ends. */
function auditScratch(ws: Workspace, node: string, scratch: string[]): string {
  const own = scratchDir(ws.repo.paths.commonDir, 'audit', node)
  scratch.push(own)
  return own
}

/**
 * The inputs the audited run read, staged again from the commits its verdict
 * records, in a private directory of this audit (named with its pid, so that
 * `verify` and `supervise` remove it after a crash): another audit of the same
 * node at the same time stages its own. A problem is the audit's error.
 */
async function auditInputs(
  ws: Workspace,
  verdict: VerdictFile,
  scratch: string[],
  signal: AbortSignal | undefined,
): Promise<{env: Record<string, string>; dir: string}> {
  const dir = join(auditScratch(ws, verdict.node, scratch), 'inputs')
  const store = ws.config.artifact_store ? artifactStore(ws.config.artifact_store, ws.root) : undefined
  const staged = await stageRecordedInputs(ws.repo, verdict.inputs!, dir, store, signal)
  stopIfAborted(signal, verdict.node)
  if (!staged.ok)
    throw new CheckFailedError(`cannot re-run ${verdict.node}: ${staged.problem}`, {
      fix: 'restore the upstream outputs (rigor verify), then audit again',
    })
  return {env: staged.staged.env, dir}
}

function stopIfAborted(signal: AbortSignal | undefined, id: string): void {
  if (signal?.aborted) throw stoppedError(signal.reason, `the audit of ${id}`, `audit it again: rigor audit ${id}`)
}
