import {mkdir, writeFile} from 'node:fs/promises'
import {basename, extname, isAbsolute, join, relative, resolve} from 'node:path'
import {scratchDir} from '../state/scratch-dirs.js'
import {returnMetrics} from '../backtest/metrics.js'
import {sha256} from '../state/checksum.js'
import {committedDataFile, materialiseBlob} from '../state/data-files.js'
import {dumpStateDocument} from '../state/documents.js'
import {CheckFailedError, InputError, NothingToDoError, stoppedError} from '../errors.js'
import {readInputFile} from '../input-file.js'
import type {Repo} from '../git/repo.js'
import type {CommitSigner} from '../git/signing.js'
import {auditorTrust, fileSignature} from '../state/auditors.js'
import type {RunGroups} from '../proc.js'
import {nowIso} from '../state/node-files.js'
import {outDirPath} from '../state/layout.js'
import {parseTimeout, readRunnerReport, runProcess, RUN_LOG} from '../dag/runner.js'
import {artifactStore} from '../dag/artifact-store.js'
import {stageRecordedInputs} from '../dag/inputs.js'
import {sandboxPolicy} from '../dag/sandbox.js'
import {removeTree} from '../dag/remove-tree.js'
import {readRunnerFile, readStrategyFiles} from '../dag/outputs.js'
import type {DeploymentFile, NodeFile} from '../schemas/index.js'
import {readableNode} from '../state/store.js'
import {readBlobs} from '../state/tree-files.js'
import type {Workspace} from '../state/workspace.js'
import {currentArtifacts} from '../state/artifacts.js'
import {alignColumns, dateOf, formatCsv, lastDatedRow, parseDatedCsv, type DatedTable} from './dated-csv.js'
import {assertDeployableId, paperResultsPath, paperReturnsPath} from './paths.js'
import {readDeployment, readPaperResults} from './records.js'
import {seriesColumns} from '../data/series-file.js'
import {runnerAccounting} from '../auditor/inputs.js'
import {readRunOutput} from '../auditor/run-outputs.js'
import {editedRunData} from '../auditor/run-data.js'
import {DEFAULT_COST_BPS} from '../backtest/run-protocol.js'
import {paperCuts, requireSamePositions, verifyPaperReturns} from './paper-accounting.js'
import {paperPeriodsPerYear} from './paper-rate.js'
import {VERIFIABLE_CONVENTION} from '../auditor/accounting.js'
import {parseDateCell, readPriceTable} from '../data/price-file.js'
import {priceSeries} from '../backtest/prices.js'

/**
 * Paper trading: the node's strategy run forward on prices that came after
 * its backtest window.
 *
 * The rule. The backtest window ends at the last date of the node's committed
 * out/returns.csv (the audited artifact). Paper periods are the price rows
 * dated after that and after the deployment's data_end (the rows the data file
 * held when it was deployed, a sealed holdout's among them, were known then),
 * taken from the node's own data file as it is now (new prices are appended to
 * it as they arrive) or from `--data FILE` (new rows only, or a longer copy of
 * the history). The node's command runs once, through the runner protocol,
 * with RIGOR_DATA pointing at the committed history up to data_end followed
 * by those new rows; its returns dated after data_end are the paper record.
 * One run over the lot is the same as walking forward a day at a time,
 * because a position at t may read nothing after t: the auditor's truncation
 * check, which a paper deployment cannot exist
 * without, holds the runner to that on the research data, and re-runs on the
 * new rows cut short hold it there too (a runner can tell it trades on paper).
 * Its paper returns must follow from its positions (paper-accounting.ts).
 * `--periods N` walks forward only N periods.
 *
 * The results (deployments/paper/<id>.results.yaml) cover every paper period
 * so far, so running `rigor paper` again after more prices arrive extends the
 * record; they name the paper deployment they were made under, so a new paper
 * deployment needs new paper results before live.
 */

export interface PaperOptions {
  /** who trades it on paper (the commit's Rigor-Worker) */
  by?: string
  /** walk forward at most this many periods */
  periods?: number
  /** a price file holding the new rows; default: the node's data file */
  data?: string
  /** where a relative --data path starts from */
  base: string
  now?: Date
  /** aborted by a stop (Ctrl-C, SIGTERM): the run is stopped and nothing is recorded */
  signal?: AbortSignal
  /** the command's live runner groups (withAbort) */
  groups?: RunGroups
  /** signs the paper commit: with auditors: in rigor.yaml, live reads only paper results a listed auditor signed */
  signer?: CommitSigner
}

export interface PaperResult {
  node: string
  file: string
  returns_file: string
  backtest_end: string
  from: string
  to: string
  periods: number
  sharpe: number
  total_return: number
  max_drawdown: number
  win_rate: number
  data: string
  commit?: string
}

const RETURNS = 'out/returns.csv'
/** the statuses of a deployed node rerun and not finished again: no verdict, no out/ */
const RUN_AGAIN: ReadonlySet<string> = new Set(['pending', 'running', 'blocked'])
/** how far past the machine's clock a new row may be dated: a day, for a market whose date is ahead of UTC's */
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000

export async function paperTrade(ws: Workspace, id: string, opts: PaperOptions): Promise<PaperResult> {
  assertDeployableId(id)
  if (opts.periods !== undefined && (!Number.isInteger(opts.periods) || opts.periods < 1)) {
    throw new InputError(`--periods must be a positive whole number, got ${opts.periods}`, {field: '--periods'})
  }
  const now = opts.now ?? new Date()
  const snap = await ws.currentSnapshot()
  const record = readableNode(snap, id)
  const node = record.node
  const deployment = await activePaperDeployment(ws.repo, snap.tree, id)
  // a rerun takes the verdict and out/ out of the tree until it ends: "no returns.csv" would send the user to the runner
  if (RUN_AGAIN.has(node.status))
    throw new CheckFailedError(
      `${id} is ${node.status}: it was rerun since its paper deployment, and its verdict and out/ wait for that run; nothing was recorded`,
      {fix: `let it run (rigor work, or rigor run ${id}), then run rigor paper ${id} again`},
    )
  if (!node.data)
    throw new CheckFailedError(`${id} declares no data file, so there is nothing to trade forward on`, {
      fix: 'paper trading needs a node with `data:` (its RIGOR_DATA)',
    })

  const backtestEnd = await backtestWindowEnd(ws.repo, snap.tree, id, deployment)
  // the history is the committed data file, never the working tree's copy
  const committed = await committedDataFile(ws.repo, snap.commit, node.data, {file: `experiments/${id}/node.yaml`, field: 'data'})
  // the history its positions are recomputed on must be the one its run read: new rows appended are what paper trades on
  const run = await ws.store.verdict(record)
  const edited = run && (await editedRunData(ws.repo, snap.commit!, node, run, committed.oid))
  if (edited)
    throw new CheckFailedError(
      `${node.data} changed since ${id} ran (line ${edited.line} was ${edited.was}, is now ${edited.is}): it would trade on paper from a history its backtest and audit did not see; nothing was recorded`,
      {fix: `append new prices only; to keep the change, run it again (rigor rerun ${id}), have it audited and deploy it to paper again`},
    )
  const committedPath = await materialiseBlob(ws.repo, committed.oid, extname(node.data))
  const sourceFile = opts.data ? resolve(opts.base, opts.data) : committedPath
  const sourceName = opts.data ? displayPath(ws.root, sourceFile) : node.data
  const historyBytes = readBytes(committedPath, node.data)
  const history = parseDatedCsv(historyBytes.toString('utf8'), node.data)
  // read once: the checksum below is of these bytes (a FIFO such as --data <(...) cannot be read twice)
  const sourceBytes = opts.data ? readBytes(sourceFile, sourceName) : historyBytes
  const source = opts.data ? parseDatedCsv(sourceBytes.toString('utf8'), sourceName) : history
  // paper periods are prices that arrived after the deployment: the rows the data file held then (a sealed holdout's,
  // which the audit scored) are history the runner reads, never periods counted towards deploy.live.min_paper_periods
  const known = knownUntil(id, deployment, backtestEnd, history, node.data)
  const past = history.rows.filter((row) => dateOf(history, row) <= known.time)
  // each new row with its line in the file it came from (parseDatedCsv counts lines so: header line 1), for messages
  const aligned = alignColumns(source, history.header, sourceName)
  const lineOfRow = new Map(aligned.map((row, i) => [row, i + 2]))
  let ahead = aligned.filter((row) => dateOf(history, row) > known.time).sort((a, b) => dateOf(history, a) - dateOf(history, b))
  // the runner reads history and new rows as one file, whose dates must rise: a date given twice is the user's to settle
  const twice = ahead.find((row, i) => i > 0 && dateOf(history, row) === dateOf(history, ahead[i - 1]!))
  if (twice)
    throw new InputError(`has more than one row dated ${twice[history.dateColumn]} after ${known.what}`, {
      file: sourceName,
      field: history.header[history.dateColumn],
      fix: 'keep one row per date (the prices of that day), then run rigor paper again',
    })
  // a paper period is a price that has arrived: a row dated past today (a typo in the year, invented prices) would
  // lengthen the paper record towards deploy.live.min_paper_periods with periods nobody traded
  const future = ahead.find((row) => dateOf(history, row) > now.getTime() + FUTURE_TOLERANCE_MS)
  if (future)
    throw new InputError(
      `line ${lineOfRow.get(future)}: ${future[history.dateColumn]} is after today (${nowIso(now).slice(0, 10)}); a paper period is a price that has arrived`,
      {
        file: sourceName,
        field: history.header[history.dateColumn],
        fix: 'remove the rows dated in the future (or correct their dates), then run rigor paper again',
      },
    )
  if (opts.periods) ahead = ahead.slice(0, opts.periods)
  // no price has arrived yet: nothing to trade (exit 3), as when none arrived since the last paper run, so a daily job
  // started before the first new price does not fail
  if (ahead.length === 0)
    throw new NothingToDoError(
      `no prices after ${known.what} in ${sourceName}`,
      'nothing_new',
      `append the prices that arrived since to ${node.data} and commit it, or pass them with --data FILE`,
    )
  const lastTime = dateOf(history, ahead.at(-1)!)
  const prices = formatCsv(history.header, [...past, ...ahead])
  const audited = run
  const store = ws.config.artifact_store ? artifactStore(ws.config.artifact_store, ws.root) : undefined
  const accounting = audited && runnerAccounting(await readRunOutput(ws.repo, snap.commit!, audited, 'verdict.json', store))
  // prices its paper returns are recomputed from must be readable: a bad new row is the user's file's, named with its line
  // before the runner reads it from rigor's temporary copy (whose path and line would be all its error could name)
  if (accounting?.convention === VERIFIABLE_CONVENTION) {
    const table = readPriceTable(prices, sourceName)
    priceSeries({...table, lineOf: (row) => (row < past.length ? row + 2 : lineOfRow.get(ahead[row - past.length]!)!)})
  }
  const {returns, positions} = await runForward(ws, node, prices, {after: known.time, until: lastTime}, opts)
  if (returns.length === 0)
    throw new CheckFailedError(`the runner of ${id} wrote no returns dated after ${known.date}`, {
      fix: 'a strategy runner writes one return per period in returns.csv (docs/runner-protocol.md)',
    })
  verifyPaperReturns({
    id,
    prices,
    dataFile: node.data,
    accounting,
    fallbackCostBps: audited?.metrics.cost_bps ?? (typeof node.params.cost_bps === 'number' ? node.params.cost_bps : DEFAULT_COST_BPS),
    positions,
    returns,
    thresholds: ws.config.audit,
  })
  // the runner is run once over every new row, so each position could read the rows after it: held to what it decides
  // without them, as the auditor's truncation check holds it on the research data
  if (positions) {
    for (const kept of paperCuts(ahead.length, ws.config.audit.truncation_cuts)) {
      const until = dateOf(history, ahead[kept - 1]!)
      const cut = await runForward(
        ws,
        node,
        formatCsv(history.header, [...past, ...ahead.slice(0, kept)]),
        {after: known.time, until},
        opts,
      )
      requireSamePositions({
        id,
        full: positions,
        cut: cut.positions,
        after: known.time,
        until,
        tolerance: ws.config.audit.position_tolerance,
      })
    }
  }

  const periodsPerYear = paperPeriodsPerYear(
    node.params.periods_per_year,
    ws.config.audit.periods_per_year,
    history.rows.map((row) => row[history.dateColumn] ?? ''),
  )
  const m = returnMetrics(Float64Array.from(returns.map((r) => r.value)), periodsPerYear)
  const file = paperResultsPath(id)
  const returnsFile = paperReturnsPath(id)
  const returnsCsv = formatCsv(
    ['date', 'return'],
    returns.map((r) => [r.date, r.value]),
  )
  const doc = {
    node: id,
    deployment: {deployed_at: deployment.deployed_at, checksum: deployment.checksum},
    run_at: nowIso(now),
    backtest_end: backtestEnd.date,
    data: {file: sourceName, checksum: sha256(sourceBytes)},
    from: returns[0]!.date,
    to: returns.at(-1)!.date,
    periods: returns.length,
    periods_per_year: periodsPerYear,
    sharpe: m.sharpe,
    total_return: m.total_return,
    max_drawdown: m.max_drawdown,
    win_rate: m.win_rate,
    volatility: m.volatility,
    command: node.run.command,
    returns: {file: returnsFile, checksum: sha256(returnsCsv)},
  }
  const outcome = await ws.commit<PaperResult>(
    async (tipSnap) => {
      const still = await readDeployment(ws.repo, tipSnap.tree, 'paper', id)
      if (still.kind !== 'ok' || still.doc.status !== 'active' || still.doc.checksum !== deployment.checksum) {
        throw new CheckFailedError(`the paper deployment of ${id} changed while it traded; nothing was recorded`, {
          fix: `check it (${still.file}) and run rigor paper ${id} again`,
        })
      }
      // the same returns under the same deployment are the record already committed: a commit would change only run_at
      const before = await readPaperResults(ws.repo, tipSnap.tree, id)
      if (
        before.kind === 'ok' &&
        before.doc.deployment.checksum === deployment.checksum &&
        before.doc.returns.checksum === doc.returns.checksum &&
        !(await unsignedRecordToSign(ws, tipSnap.commit, file, opts.signer))
      )
        throw new NothingToDoError(
          `the paper record of ${id} already holds these ${doc.periods} period(s), ${doc.from} to ${doc.to}: no price arrived since its last paper run, nothing was recorded (append the new prices to ${node.data} and commit them, or pass them with --data FILE)`,
          'nothing_new',
        )
      return {
        files: new Map([
          [file, dumpStateDocument(doc)],
          [returnsFile, returnsCsv],
        ]),
        message: {
          action: 'paper',
          subject: `paper ${id}: ${doc.periods} period(s), sharpe ${m.sharpe.toFixed(2)}`,
          nodes: [id],
          worker: opts.by,
          trailers: {Periods: String(doc.periods), Sharpe: m.sharpe.toFixed(4)},
        },
        result: {
          node: id,
          file,
          returns_file: returnsFile,
          backtest_end: doc.backtest_end,
          from: doc.from,
          to: doc.to,
          periods: doc.periods,
          sharpe: doc.sharpe,
          total_return: doc.total_return,
          max_drawdown: doc.max_drawdown,
          win_rate: doc.win_rate,
          data: sourceName,
        },
      }
    },
    {signer: opts.signer},
  )
  return {...outcome.result, commit: outcome.commit}
}

/**
 * Whether a key was given and the paper record at the tip is not one a listed auditor signed: the same periods are
 * then committed again, signed, so that live can read them without waiting for the next price to arrive.
 */
async function unsignedRecordToSign(
  ws: Workspace,
  tip: string | undefined,
  file: string,
  signer: CommitSigner | undefined,
): Promise<boolean> {
  if (!signer || !tip) return false
  const {auditors} = await auditorTrust(ws.repo, tip)
  return auditors.length > 0 && (await fileSignature(ws.repo, tip, file, auditors)).status !== 'good'
}

/**
 * Where paper periods start: after the backtest window and after the last date the data
 * file held when the node was deployed to paper (the deployment's data_end). The history
 * the runner reads runs to there, so rows between the two (a sealed holdout's) leave no gap.
 */
function knownUntil(
  id: string,
  deployment: DeploymentFile,
  backtestEnd: {date: string; time: number},
  history: DatedTable,
  dataFile: string,
): {date: string; time: number; what: string} {
  const window = {...backtestEnd, what: `${id}'s backtest window (it ends ${backtestEnd.date})`}
  if (deployment.data_end === undefined)
    throw new CheckFailedError(
      `the paper deployment of ${id} (deployed ${deployment.deployed_at}) does not record the last date ${dataFile} held then, so rigor cannot tell new prices from those it already knew`,
      {fix: `deploy it to paper again (rigor deploy ${id} --stage paper), then append the prices that arrive and run rigor paper ${id}`},
    )
  const time = parseDateCell(deployment.data_end)
  if (time <= backtestEnd.time) return window
  const held = history.rows.some((row) => dateOf(history, row) === time)
  if (!held)
    throw new CheckFailedError(
      `${dataFile} no longer holds ${deployment.data_end}, its last date when ${id} was deployed to paper: rows it held then were removed or redated`,
      {fix: `put those rows back as they were (git log -p -- ${dataFile}), then run rigor paper ${id} again`},
    )
  return {date: deployment.data_end, time, what: `${deployment.data_end}, the last date ${dataFile} held when ${id} was deployed to paper`}
}

async function activePaperDeployment(repo: Repo, tree: string | undefined, id: string): Promise<DeploymentFile> {
  const found = await readDeployment(repo, tree, 'paper', id)
  if (found.kind === 'unusable') throw found.error
  if (found.kind === 'absent' || found.doc.status !== 'active') {
    throw new CheckFailedError(
      `${id} has no active paper deployment${found.kind === 'ok' ? ` (${found.file} is ${found.doc.status})` : ''}; only a node deployed to paper trades on paper`,
      {
        fix: `deploy it to paper first: rigor deploy ${id} --stage paper`,
      },
    )
  }
  return found.doc
}

/** The last date of the committed returns.csv, which must still be the one the paper deployment shipped. */
async function backtestWindowEnd(
  repo: Repo,
  tree: string | undefined,
  id: string,
  deployment: DeploymentFile,
): Promise<{date: string; time: number}> {
  const artifacts = await currentArtifacts(repo, tree, id)
  const file = `${outDirPath(id)}/returns.csv`
  const oid = artifacts.oids[RETURNS]
  if (!oid)
    throw new CheckFailedError(`${id} has no ${file}, so its backtest window is unknown`, {
      fix: 'paper trading continues a strategy runner, which writes returns.csv (docs/runner-protocol.md)',
    })
  if (deployment.artifacts[RETURNS] !== artifacts.sums[RETURNS]) {
    throw new CheckFailedError(`${file} changed after the paper deployment`, {
      fix: `have the node audited again and deploy it to paper again: rigor deploy ${id} --stage paper`,
    })
  }
  const [blob] = await readBlobs(repo, [oid])
  const table = parseDatedCsv(blob!.toString('utf8'), file)
  const last = lastDatedRow(table)
  if (!last) throw new CheckFailedError(`${file} has no rows, so its backtest window is unknown`, {fix: 'run the node again'})
  return {date: last[table.dateColumn]!, time: dateOf(table, last)}
}

/** Runs the node's command on `prices` and returns its returns dated in (after, until]. */
async function runForward(
  ws: Workspace,
  node: NodeFile,
  prices: string,
  {after, until}: {after: number; until: number},
  stop: Pick<PaperOptions, 'signal' | 'groups'>,
): Promise<{returns: Array<{date: string; value: number}>; positions: string | undefined}> {
  const workDir = scratchDir(ws.repo.paths.commonDir, 'paper', node.id)
  const outDir = join(workDir, 'out')
  try {
    await mkdir(outDir, {recursive: true})
    const dataPath = join(workDir, basename(node.data!))
    await writeFile(dataPath, prices)
    const timeoutMs = parseTimeout(node.run.timeout, ws.config.runner.default_timeout)
    // a pipeline stage trades on paper with the very model its verdict says it read
    const inputs = await recordedInputs(ws, node, join(workDir, 'inputs'), stop.signal)
    const outcome = await runProcess({
      node,
      workspaceRoot: ws.root,
      outDir,
      timeoutMs,
      seed: 0,
      dataPath,
      extraEnv: {...inputs?.env, RIGOR_STAGE: 'paper'},
      readableDirs: inputs ? [inputs.dir] : [],
      sandbox: sandboxPolicy(ws.config.runner, node.run),
      warn: (m) => ws.warnOnce(m),
      signal: stop.signal,
      groups: stop.groups,
    })
    if (stop.signal?.aborted) throw stoppedError(stop.signal.reason, `the paper run of ${node.id}`, `run it again: rigor paper ${node.id}`)
    const report = await readRunnerReport(outDir, outcome, timeoutMs, ws.config.runner.limits)
    if (!report.ok) {
      const logFile = readRunnerFile(outDir, RUN_LOG, ws.config.runner.limits.run_log)
      const log = (logFile.ok ? logFile.text : '').slice(-2000).trimEnd()
      throw new CheckFailedError(`the paper run of ${node.id} failed: ${report.reason}; nothing was recorded${log ? `\n${log}` : ''}`, {
        fix: 'fix the runner (the output above is its run.log), then run rigor paper again',
      })
    }
    const files = readStrategyFiles(outDir, ws.config.runner.limits.file_size)
    if (!files.ok)
      throw new CheckFailedError(`the paper run of ${node.id} failed: ${files.reason}; nothing was recorded`, {
        fix: 'the runner writes returns.csv and positions.csv into RIGOR_OUT as regular files (docs/runner-protocol.md)',
      })
    const {returns, positions} = files
    if (!returns.ok)
      throw new CheckFailedError(`the runner of ${node.id} wrote no returns.csv`, {
        fix: 'a strategy runner writes returns.csv (date,return) into RIGOR_OUT (docs/runner-protocol.md)',
      })
    const table = parseDatedCsv(returns.text, 'returns.csv (paper run)')
    return {returns: forwardReturns(table, after, until), positions: positions.ok ? positions.text : undefined}
  } finally {
    removeTree(workDir)
  }
}

/** The stage inputs the node's verdict records, staged again from their commits (none when it read none). */
async function recordedInputs(
  ws: Workspace,
  node: NodeFile,
  dir: string,
  signal: AbortSignal | undefined,
): Promise<{env: Record<string, string>; dir: string} | undefined> {
  const record = (await ws.currentSnapshot()).nodes.get(node.id)
  const verdict = record ? await ws.store.verdict(record) : undefined
  if (!verdict?.inputs?.length) return undefined
  const store = ws.config.artifact_store ? artifactStore(ws.config.artifact_store, ws.root) : undefined
  const staged = await stageRecordedInputs(ws.repo, verdict.inputs, dir, store, signal)
  if (signal?.aborted) throw stoppedError(signal.reason, `the paper run of ${node.id}`, `run it again: rigor paper ${node.id}`)
  if (!staged.ok)
    throw new CheckFailedError(`the paper run of ${node.id} cannot read its inputs: ${staged.problem}`, {
      fix: 'restore the upstream outputs (rigor verify), then run rigor paper again',
    })
  return {env: staged.staged.env, dir}
}

function forwardReturns(table: DatedTable, after: number, until: number): Array<{date: string; value: number}> {
  // the one column rule of every returns.csv reader (data/series-file.ts)
  const column = seriesColumns(table.header, 'return').value
  if (column >= table.header.length)
    throw new CheckFailedError("the paper run's returns.csv has no return column", {
      fix: 'write returns.csv as date,return (docs/runner-protocol.md)',
    })
  const rows = table.rows
    .filter((row) => dateOf(table, row) > after && dateOf(table, row) <= until)
    .sort((a, b) => dateOf(table, a) - dateOf(table, b))
  // a period given twice would count twice towards deploy.live.min_paper_periods and the paper Sharpe ratio
  const twice = rows.find((row, i) => i > 0 && dateOf(table, row) === dateOf(table, rows[i - 1]!))
  if (twice)
    throw new CheckFailedError(`the paper run's returns.csv gives ${twice[table.dateColumn]} more than once; nothing was recorded`, {
      fix: 'a strategy runner writes one return per period (docs/runner-protocol.md)',
    })
  return rows.map((row) => {
    const value = Number(row[column])
    if (row[column] === '' || !Number.isFinite(value))
      throw new CheckFailedError(`the paper run's returns.csv has "${row[column]}" for ${row[table.dateColumn]}, not a number`, {
        fix: 'write one finite return per period',
      })
    return {date: row[table.dateColumn]!, value}
  })
}

function readBytes(file: string, name: string): Buffer {
  // named as the user named it
  return readInputFile(file, {what: 'a price CSV', maxBytes: 256 * 1024 * 1024, fix: 'give the path of an existing price CSV', name})
}

const displayPath = (root: string, file: string): string => {
  const rel = relative(root, file)
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split('\\').join('/')
}
