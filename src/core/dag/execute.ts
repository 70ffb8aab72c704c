import {randomUUID} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import {extname, join, posix, resolve, sep} from 'node:path'
import {committedDataFile, materialiseBlob} from '../state/data-files.js'
import {researchDataFile} from '../state/holdout.js'
import {decideStatus, type GateDecision} from './gates.js'
import type {FileChange} from '../git/tree-edit.js'
import {nowIso, verdictChange} from '../state/node-files.js'
import {outDirPath} from '../state/layout.js'
import {configConditions} from '../state/conditions.js'
import {planSpawns} from './rules.js'
import {collectOutputs, type CollectedOutputs} from './outputs.js'
import type {RunGroups} from '../proc.js'
import type {RunnerLauncher} from './launcher.js'
import {RUN_RECORD, runsDirectory, slotsDirectory} from './run-records.js'
import {removeTree} from './remove-tree.js'
import {parseTimeout, readRunnerReport, runProcess, startWhen, VERDICT_JSON, type RunnerReport} from './runner.js'
import {sandboxPolicy, type Overlay} from './sandbox.js'
import {declaredDataPaths, sealDeps, sealedDataOverlays} from './sealed-data.js'
import {blockDependents} from './scheduler.js'
import {waitingOnRequirements} from './claim-order.js'
import type {HoldoutConfig, InputRecord, NodeFile, VerdictDraft} from '../schemas/index.js'
import {artifactStore} from './artifact-store.js'
import {runFingerprint, stageInputs} from './inputs.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {releaseHeld, releaseHeldNodes} from './claims.js'
import {sameClaim, transition} from './lifecycle.js'
import {ATTR, noTelemetry, type Telemetry} from '../telemetry/telemetry.js'
import {RemoteUnreachableError} from '../errors.js'

export interface ExecuteOptions {
  worker: string
  /** stops the run (shutdown): the claim is put back instead of a verdict */
  signal?: AbortSignal
  /** how often the worker checks for a cancel or a lost lease */
  pollMs?: number
  /** called when the runner process has started */
  onProcessStart?: () => void
  /**
   * A node claimed ahead: everything up to its runner's start is done now, and
   * the runner starts when this says true (a slot took it); false puts the
   * node back without running it (see RunRequest.startGate).
   */
  startGate?: Promise<boolean>
  /**
   * The node waited since its claim (a batch of --prefetch): the branch is looked at once before its runner starts,
   * so a cancel (or a supervisor taking it back) meanwhile ends it without starting it, not a poll after it started.
   */
  lookFirst?: boolean
  /** called when the runner process has ended, before the verdict is committed */
  onProcessEnd?: () => void
  /** the command's live runner groups, killed if it has to leave at once */
  groups?: RunGroups
  /** which process starts runners (default: this one) */
  launcher?: RunnerLauncher
  /** where the run's span goes (a child of the work loop's or the cycle step's); none by default */
  telemetry?: Telemetry
  /**
   * A long-lived worker's (`work --follow --remote`): a verdict whose remote cannot be reached waits for it (told
   * here each time, with why) until it lands or the stop comes, rather than fail the worker and lose the run.
   */
  onRemoteUnreachable?: (message: string) => void
}

export type ExecuteOutcome =
  | {kind: 'verdict'; id: string; status: string; reason?: string; spawned: string[]; durationMs: number; commit?: string}
  | {kind: 'released'; id: string; why?: string}
  | {kind: 'lost'; id: string; why: string}

/** The node is still held by this worker under this claim. */
const heldBy = sameClaim

/**
 * Runs a node this worker has claimed and commits its verdict (with the spawns
 * and blocks it causes) in one commit. While the run lasts the lease is renewed
 * and the node watched: a cancel, or a supervisor taking the node back, stops it.
 */
export function executeClaimedNode(ws: Workspace, claimed: NodeFile, opts: ExecuteOptions): Promise<ExecuteOutcome> {
  const attributes = {[ATTR.nodeId]: claimed.id, [ATTR.team]: claimed.team, [ATTR.attempt]: claimed.attempt, [ATTR.worker]: opts.worker}
  return (opts.telemetry ?? noTelemetry).span('node run', attributes, async (span) => {
    let costUsd: number | undefined
    const outcome = await runClaimedNode(ws, claimed, opts, (usd) => (costUsd = usd))
    span.set({[ATTR.status]: outcome.kind === 'verdict' ? outcome.status : outcome.kind, [ATTR.costUsd]: costUsd})
    if (outcome.kind === 'verdict') {
      span.set({[ATTR.durationS]: outcome.durationMs / 1000})
      span.measure({kind: 'node_run', team: claimed.team, status: outcome.status, duration_s: outcome.durationMs / 1000, cost_usd: costUsd})
    }
    return outcome
  })
}

async function runClaimedNode(
  ws: Workspace,
  claimed: NodeFile,
  opts: ExecuteOptions,
  onCost: (usd: number) => void,
): Promise<ExecuteOutcome> {
  // a claim that lands after a stop was asked for is put back without starting the runner
  if (opts.signal?.aborted) return releaseClaim(ws, claimed, opts.worker)
  // 32 random bits, as before, from Node's batched pool: randomBytes asks OpenSSL each time (9 us against 0.7)
  const run = `${claimed.id.replace(/\//g, '__')}.${claimed.attempt}.${randomUUID().slice(0, 8)}`
  const runDir = join(runsDirectory(ws.repo.paths.commonDir), run)
  const outDir = join(runDir, 'out')
  // the run directory's life (made, its record written, its outputs read, removed) is a dozen small file-system
  // calls a run: called synchronously they cost a few microseconds each, through the thread pool ten times that of
  // the work loop's thread (see docs/benchmarks.md, "Issue 16, eighth pass")
  mkdirSync(outDir, {recursive: true})
  const stop = new AbortController()
  let stopCause: 'cancelled' | 'lost' | 'shutdown' | undefined
  const onShutdown = () => {
    stopCause ??= 'shutdown'
    stop.abort()
  }
  if (opts.signal?.aborted) onShutdown()
  else opts.signal?.addEventListener('abort', onShutdown, {once: true})
  const watcher = watchClaim(ws, claimed, opts, (cause) => {
    stopCause ??= cause
    stop.abort()
  })
  // the runner waits for that look as a node claimed ahead waits for its slot (the sandbox is set up meanwhile)
  const startGate = opts.startGate ?? (opts.lookFirst ? watcher.lookNow().then(() => true) : undefined)
  const timeoutMs = parseTimeout(claimed.run.timeout, ws.config.runner.default_timeout)
  const startedAt = new Date()
  try {
    const data = claimed.data
      ? await committedData(ws, claimed).then(
          (found) => found,
          (err: unknown) => ({problem: (err as Error).message}),
        )
      : undefined
    const store = ws.config.artifact_store ? artifactStore(ws.config.artifact_store, ws.root) : undefined
    const staging = claimed.inputs?.length ? await stageInputs(ws, claimed, join(runDir, 'inputs'), store, stop.signal) : undefined
    // with a sealed holdout, the other nodes' data files show their research cut too (sealed-data.ts); where that
    // cannot be done (a directory rigor may not read, a full disk) the run does not start unsealed
    const sealing = ws.config.holdout
      ? await otherDataSealed(ws, claimed, ws.config.holdout).then(
          (overlays) => ({overlays}),
          (err: unknown) => ({problem: `the holdout of the other data files cannot be sealed: ${(err as Error).message}`}),
        )
      : {overlays: []}
    const problem =
      data && 'problem' in data
        ? data.problem
        : staging && !staging.ok
          ? staging.problem
          : 'problem' in sealing
            ? sealing.problem
            : undefined
    if (problem !== undefined) {
      const go = await startWhen(startGate, stop.signal)
      watcher.stop()
      await watcher.settled
      if (!go && stopCause !== 'cancelled') return await notStarted(ws, claimed, opts.worker, stopCause)
      // a stop while the inputs were fetched (it stopped the fetch): the node did not run, and is no worse than it was
      if (stopCause === 'shutdown') return await releaseClaim(ws, claimed, opts.worker)
      if (stopCause === 'lost')
        return {kind: 'lost', id: claimed.id, why: 'the node was taken back (lease expired or re-queued) before it started'}
      // an upstream rerun after this node was claimed: it waits for the upstream again, as it would have unclaimed,
      // rather than ending inconclusive on inputs that are about to be written
      if (staging && !staging.ok && staging.upstreamComingBack && problem === staging.problem)
        return await releaseClaim(ws, claimed, opts.worker, problem, 'put back to wait for it')
      const now = new Date()
      return await commitVerdict(ws, claimed, opts, {
        worker: opts.worker,
        report: {ok: false, reason: problem},
        cancelled: false,
        outputs: {files: [], omitted: [], truncated: [], leftOut: new Map(), stored: []},
        exitCode: null,
        // held for a slot, it starts when the slot takes it
        startedAt: startGate ? now : startedAt,
        finishedAt: now,
        sandbox: 'off',
      })
    }
    const inputs = staging?.ok ? staging.staged : undefined
    const sealed = 'overlays' in sealing ? sealing.overlays : []
    const outcome = await runProcess({
      node: claimed,
      workspaceRoot: ws.root,
      outDir,
      timeoutMs,
      seed: 0,
      dataPath: data && 'path' in data ? data.path : undefined,
      extraEnv: inputs?.env,
      readableDirs: inputs ? [inputs.dir] : [],
      // a runner that opens the data file by its workspace path sees the committed bytes too
      // after the sealed ones: a view of its directory (sealed-data.ts) holds a place for it
      overlays: [...sealed, ...(data && 'path' in data ? [{source: data.path, target: resolve(ws.root, claimed.data!)}] : [])],
      signal: stop.signal,
      sandbox: sandboxPolicy(ws.config.runner, claimed.run),
      warn: (m) => ws.warnOnce(m),
      record: {file: join(runDir, RUN_RECORD), run, attempt: claimed.attempt},
      groups: opts.groups,
      launcher: opts.launcher,
      slotsDir: slotsDirectory(ws.repo.paths.commonDir),
      onStarted: opts.onProcessStart,
      startGate,
    })
    opts.onProcessEnd?.()
    watcher.stop()
    await watcher.settled
    // a cancel before the start still ends in the cancelled verdict below
    if (outcome.notStarted && stopCause !== 'cancelled') return await notStarted(ws, claimed, opts.worker, stopCause)
    // Slurm (scancel, a time limit, preemption), systemd or a `kill` of the group signals the runner and rigor
    // together: the runner may die first, and its death is then not a verdict on the node but the same stop
    if (!stopCause && !outcome.timedOut && diedOfStopSignal(outcome)) {
      await stopFollowing(opts.signal, STOP_FOLLOWS_MS)
    }
    if (stopCause === 'shutdown') return await releaseClaim(ws, claimed, opts.worker)
    if (stopCause === 'lost')
      return {kind: 'lost', id: claimed.id, why: 'the node was taken back (lease expired or re-queued) while it ran'}
    const limits = ws.config.runner.limits
    const outputs = await collectOutputs(outDir, limits, store)
    const report: RunnerReport =
      stopCause === 'cancelled'
        ? {ok: false, reason: 'cancelled while running'}
        : declaredLeftOut(await readRunnerReport(outDir, outcome, timeoutMs, limits), outputs)
    if (report.ok && report.verdict.cost) onCost(report.verdict.cost.usd)
    return await commitVerdict(ws, claimed, opts, {
      worker: opts.worker,
      report,
      cancelled: stopCause === 'cancelled',
      outputs,
      inputs: inputs?.records,
      dataBlob: data && 'blob' in data ? data.blob : undefined,
      exitCode: outcome.exitCode,
      sandbox: outcome.sandbox,
      startedAt: new Date(outcome.startedAt),
      finishedAt: new Date(),
    })
  } finally {
    watcher.stop()
    opts.signal?.removeEventListener('abort', onShutdown)
    removeTree(runDir)
  }
}

/**
 * RIGOR_DATA: the node's data file as committed at the state's tip, materialised
 * read-only; with a holdout configured, only the rows before it (the sandbox
 * also shows this cut at the file's own workspace path). With the blob it was
 * made from, which the run's fingerprint names.
 */
async function committedData(ws: Workspace, node: NodeFile): Promise<{path: string; blob: string}> {
  const tip = await ws.readTip()
  const file = await committedDataFile(ws.repo, tip, node.data!, {file: `experiments/${node.id}/node.yaml`, field: 'data'})
  const path = ws.config.holdout
    ? await researchDataFile(ws.repo, file.oid, node.data!, ws.config.holdout, extname(node.data!))
    : await materialiseBlob(ws.repo, file.oid, extname(node.data!))
  return {path, blob: file.oid}
}

/** The overlays sealing the holdout of every data file the branch's nodes declare but this node's own. */
async function otherDataSealed(ws: Workspace, node: NodeFile, holdout: HoldoutConfig): Promise<Overlay[]> {
  const snap = await ws.currentSnapshot()
  const paths = ws.store.derive(declaredDataPaths, snap)
  return sealedDataOverlays(sealDeps(ws, holdout), paths.keys(), snap.commit, node.data)
}

/** A run whose verdict declares an artifact that was left out (a refused name, a link, a limit) proves nothing: inconclusive. */
function declaredLeftOut(report: RunnerReport, outputs: CollectedOutputs): RunnerReport {
  if (!report.ok) return report
  for (const artifact of report.verdict.artifacts) {
    const path = posix.normalize(artifact.split(sep).join('/')).replace(/^\.\//, '')
    const why = outputs.leftOut.get(path)
    if (why) return {ok: false, reason: `${VERDICT_JSON} declares artifact "${artifact}", which was left out: ${why}`}
  }
  return report
}

interface VerdictInput {
  worker: string
  /** the stage inputs the run read */
  inputs?: InputRecord[]
  /** the committed blob of the node's data file the run read */
  dataBlob?: string
  report: RunnerReport
  cancelled: boolean
  outputs: CollectedOutputs
  exitCode: number | null
  sandbox: 'on' | 'off'
  startedAt: Date
  finishedAt: Date
}

/** The longest wait between two tries of a verdict whose remote cannot be reached. */
const UNREACHABLE_RETRY_MAX_MS = 30_000

/** Commits the verdict; see ExecuteOptions.onRemoteUnreachable for a remote that cannot be reached. */
async function commitVerdict(ws: Workspace, claimed: NodeFile, opts: ExecuteOptions, input: VerdictInput): Promise<ExecuteOutcome> {
  for (let delayMs = 1000; ; delayMs = Math.min(delayMs * 2, UNREACHABLE_RETRY_MAX_MS)) {
    try {
      return await landVerdict(ws, claimed, input)
    } catch (err) {
      if (!(err instanceof RemoteUnreachableError) || !opts.onRemoteUnreachable || opts.signal?.aborted) throw err
      opts.onRemoteUnreachable(err.message)
      await pause(delayMs, opts.signal)
    }
  }
}

async function landVerdict(ws: Workspace, claimed: NodeFile, input: VerdictInput): Promise<ExecuteOutcome> {
  const outcome = await ws.commit<ExecuteOutcome>(
    async (snap) => {
      const current = snap.nodes.get(claimed.id)?.node
      const cancelled = current?.status === 'cancelled'
      if (!heldBy(current, claimed, input.worker) || (current!.status !== 'running' && !cancelled)) {
        return {result: {kind: 'lost', id: claimed.id, why: 'the node is no longer held by this worker'}}
      }
      const node = current!
      const decision: GateDecision | undefined =
        cancelled || !input.report.ok
          ? undefined
          : decideStatus({
              node,
              verdict: input.report.verdict,
              config: ws.config,
              conditions: configConditions(ws.config, ws.configFile),
              parent: await parentFacts(ws, snap, node),
            })
      const status = cancelled ? 'cancelled' : (decision?.status ?? 'inconclusive')
      const reason = cancelled ? (node.reason ?? 'cancelled') : input.report.ok ? decision?.reason : input.report.reason
      const runner = input.report.ok ? input.report.verdict : undefined
      const files = new Map<string, FileChange>()
      // outputs of an earlier attempt are replaced, not mixed with this one's
      files.set(outDirPath(node.id), null)
      for (const artifact of input.outputs.files) files.set(`${outDirPath(node.id)}/${artifact.path}`, artifact.content)
      const spawns =
        status === 'cancelled' ? {files: new Map(), spawned: []} : await planSpawns(ws, snap, node, status, runner?.metrics ?? {})
      const draft: VerdictDraft = {
        node: node.id,
        status,
        decided_by: cancelled ? 'cancel' : input.report.ok ? decision!.decided_by : 'failure',
        reason,
        metrics: runner?.metrics ?? {},
        notes: runner?.notes,
        cost: runner?.cost,
        gates: decision?.gates ?? [],
        spawned: spawns.spawned,
        artifacts: Object.fromEntries(input.outputs.files.map((a) => [`out/${a.path}`, a.checksum])),
        omitted: nonEmpty([...(input.report.ok ? input.report.omitted : []), ...input.outputs.omitted]),
        truncated: nonEmpty([...(input.report.ok ? input.report.truncated : []), ...input.outputs.truncated]),
        exit_code: input.exitCode,
        worker: input.worker,
        attempt: node.attempt,
        seed: 0,
        sandbox: input.sandbox,
        inputs: input.inputs,
        stored: nonEmpty(input.outputs.stored),
        fingerprint: input.report.ok ? runFingerprint(node, input.inputs, input.dataBlob) : undefined,
        started_at: nowIso(input.startedAt),
        finished_at: nowIso(input.finishedAt),
        duration_s: Math.round((input.finishedAt.getTime() - input.startedAt.getTime()) / 10) / 100,
      }
      const [verdictPath, verdictText, verdict] = verdictChange(draft)
      files.set(verdictPath, verdictText)
      const [nodePath, nodeText, updated] = transition(node, {kind: 'finish', status, reason})
      files.set(nodePath, nodeText)
      // the state store learns both rather than parse them again from the commit
      const documents = new Map<string, unknown>([
        [verdictPath, verdict],
        [nodePath, updated],
      ])
      for (const [path, text] of spawns.files) files.set(path, text)
      const blocked =
        status === 'proven_accepted'
          ? []
          : blockDependents(snap, new Map([[node.id, updated]]), files, ws.store.derive(waitingOnRequirements, snap))
      return {
        files,
        message: {
          action: 'verdict',
          subject: `${node.id} ${status}${spawns.spawned.length ? `, spawned ${spawns.spawned.length}` : ''}`,
          nodes: [node.id, ...spawns.spawned, ...blocked],
          worker: input.worker,
          trailers: {Status: status, Attempt: String(node.attempt), ...(spawns.spawned.length ? {Spawned: spawns.spawned.join(' ')} : {})},
        },
        documents,
        result: {
          kind: 'verdict',
          id: node.id,
          status,
          reason,
          spawned: spawns.spawned,
          durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
        },
      }
    },
    // the verdicts of short runs that finish while another commit lands go in one move of the branch (one push)
    {batch: true},
  )
  return outcome.result.kind === 'verdict' ? {...outcome.result, commit: outcome.commit} : outcome.result
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined)

/** Signals that stop a process from outside; a runner that sends one to itself still gets its verdict. */
const STOP_SIGNALS = new Set(['SIGTERM', 'SIGINT', 'SIGHUP'])
/** The same deaths as a shell or the sandbox (bubblewrap) reports them: 128 + the signal's number. */
const STOP_EXIT_CODES = new Set([129, 130, 143])

const diedOfStopSignal = (outcome: {signal: string | null; exitCode: number | null}): boolean =>
  (outcome.signal !== null && STOP_SIGNALS.has(outcome.signal)) || (outcome.exitCode !== null && STOP_EXIT_CODES.has(outcome.exitCode))
/** How long rigor waits for its own stop after a runner died of one: signals of one group arrive together. */
const STOP_FOLLOWS_MS = 2000

/** Resolves when `signal` aborts, or after `ms` when it does not (at once when there is none or it has). */
function stopFollowing(signal: AbortSignal | undefined, ms: number): Promise<void> {
  return signal && !signal.aborted ? pause(ms, signal) : Promise.resolve()
}

/** Resolves after `ms`, or sooner when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}

async function parentFacts(ws: Workspace, snap: Snapshot, node: NodeFile) {
  const record = node.parent ? snap.nodes.get(node.parent) : undefined
  if (!record?.node) return null
  const verdict = await ws.store.verdict(record).catch(() => undefined)
  return {...record.node, metrics: verdict?.metrics ?? {}}
}

/** A node claimed ahead that no slot started: put back (the attempt not counted), or already taken back. */
async function notStarted(ws: Workspace, claimed: NodeFile, worker: string, stopCause: string | undefined): Promise<ExecuteOutcome> {
  if (stopCause === 'lost')
    return {kind: 'lost', id: claimed.id, why: 'the node was taken back (lease expired or re-queued) before it started'}
  const released = await releaseHeld(
    ws,
    worker,
    (node) => node.id === claimed.id && sameClaim(node, claimed, worker),
    'claimed ahead and not started',
  )
  return released.length ? {kind: 'released', id: claimed.id} : {kind: 'lost', id: claimed.id, why: 'not held any more'}
}

/**
 * Puts a claim back to pending (shutdown before it finished, or `why`); the attempt does not count. A requirement
 * that failed meanwhile blocks it instead, and `why` says so in place of `waiting` (what it waits for otherwise).
 */
export async function releaseClaim(
  ws: Workspace,
  claimed: NodeFile,
  worker: string,
  why?: string,
  waiting?: string,
): Promise<ExecuteOutcome> {
  const {released, blocked} = await releaseHeldNodes(
    ws,
    worker,
    (node) => node.id === claimed.id && sameClaim(node, claimed, worker),
    why ?? 'on shutdown',
  )
  if (!released.length) return {kind: 'lost', id: claimed.id, why: 'not held any more'}
  const block = blocked.get(claimed.id)
  const said = [why, block ? `blocked: ${block}` : waiting].filter(Boolean).join('; ')
  return said ? {kind: 'released', id: claimed.id, why: said} : {kind: 'released', id: claimed.id}
}

/**
 * Renews the lease while the run lasts and watches the node on the branch:
 * cancelled -> stop and record the cancel; re-queued or taken -> stop and drop the result.
 */
function watchClaim(ws: Workspace, claimed: NodeFile, opts: ExecuteOptions, onStop: (cause: 'cancelled' | 'lost') => void) {
  const pollMs = opts.pollMs ?? (ws.distributed ? 2000 : 500)
  // read at each look: a rigor.yaml committed meanwhile may have shortened the lease, which each renewal then grants
  const renewEveryMs = () => Math.max(1000, ws.config.lease.duration / 3)
  let lastRenew = Date.now()
  let stopped = false
  let busy: Promise<void> = Promise.resolve()
  // the first look before a start skips the fetch right after a fetch or a push of this process that landed
  const tick = async (first = false) => {
    // a fetch another slot made within half a poll is as good as one of its own
    if (ws.distributed) await (first ? ws.refreshUnlessFresh() : ws.refreshOlderThan(pollMs / 2))
    const current = (await ws.currentSnapshot()).nodes.get(claimed.id)?.node
    if (current?.status === 'cancelled') return onStop('cancelled')
    if (current?.status !== 'running' || !heldBy(current, claimed, opts.worker)) return onStop('lost')
    if (Date.now() - lastRenew >= renewEveryMs()) {
      const renewed = await renewLease(ws, claimed, opts.worker)
      if (renewed) lastRenew = Date.now()
    }
  }
  const timer = setInterval(() => {
    if (stopped) return
    busy = busy.then(() => tick()).catch(() => {})
  }, pollMs)
  return {
    /** one look now, not a poll later; resolves once it is done (a failed look is the next poll's to repeat) */
    lookNow() {
      busy = busy.then(() => tick(true)).catch(() => {})
      return busy
    },
    stop() {
      stopped = true
      clearInterval(timer)
    },
    get settled() {
      return busy
    },
  }
}

async function renewLease(ws: Workspace, claimed: NodeFile, worker: string): Promise<boolean> {
  const outcome = await ws.commit(async (snap) => {
    const current = snap.nodes.get(claimed.id)?.node
    if (!heldBy(current, claimed, worker) || current!.status !== 'running') return {result: false}
    const [path, text] = transition(current!, {kind: 'renew', now: new Date(), leaseMs: ws.config.lease.duration})
    return {
      files: new Map([[path, text]]),
      message: {action: 'renew', subject: `renew lease on ${claimed.id}`, nodes: [claimed.id], worker},
      result: true,
    }
  })
  return outcome.result
}
