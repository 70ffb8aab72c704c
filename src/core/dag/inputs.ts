/**
 * Stage inputs: a node reads files of its upstream nodes' committed out/.
 * They come from the git objects of the upstream's verdict commit (never the
 * working tree, which a worker syncs after the dependent may have started),
 * are written read-only into the run's private directory, and are recorded in
 * the verdict with their sha256, so that a retrained upstream is seen.
 */
import {createHash} from 'node:crypto'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import picomatch from 'picomatch'
import canonicalizeModule from 'canonicalize'
import {InputError} from '../errors.js'
import {outDirPath, verdictFilePath} from '../state/layout.js'
import {resolveInputFrom} from '../validation.js'
import type {InputRecord, InputSpec, NodeFile, NodeInput, VerdictFile} from '../schemas/index.js'
import type {Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import type {ArtifactStore} from './artifact-store.js'

const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined

/** The environment variable that holds one input's path. */
export const inputEnvName = (as: string): string => `RIGOR_INPUT_${as.toUpperCase()}`

/**
 * A spec's inputs with every `from` resolved against the declaring node's id
 * (a sweep's, for all its variants): throws an InputError naming the field.
 */
export function resolveNodeInputs(declaringId: string, specs: InputSpec[] | undefined, where: {file?: string}): NodeInput[] | undefined {
  if (!specs || specs.length === 0) return undefined
  const names = new Set<string>()
  return specs.map((spec, i) => {
    const field = `${declaringId}.inputs[${i}]`
    if (names.has(spec.as))
      throw new InputError(`input name "${spec.as}" is used twice`, {
        ...where,
        field: `${field}.as`,
        fix: 'give each input its own as: name',
      })
    names.add(spec.as)
    const from = resolveInputFrom(declaringId, spec.from)
    if (!from.ok)
      throw new InputError(from.problem, {
        ...where,
        field: `${field}.from`,
        fix: 'name the upstream node by its id, or as ../<sibling> relative to this node',
      })
    return {from: from.value, files: spec.files, as: spec.as}
  })
}

/** The ids a node's inputs come from: each is also one of its requirements. */
export const inputSources = (inputs: readonly NodeInput[] | undefined): string[] => [...new Set((inputs ?? []).map((i) => i.from))]

/** A file of an upstream's out/ that an input may select: committed in git, or kept in the artifact store. */
interface UpstreamFile {
  path: string
  sha256: string
  stored: boolean
  bytes?: number
}

/** The files of an upstream's verdict (relative to its out/) that one input's patterns select. */
export function selectInputFiles(verdict: VerdictFile, input: NodeInput): UpstreamFile[] {
  const match = picomatch(input.files, {dot: false})
  const files: UpstreamFile[] = []
  for (const [path, checksum] of Object.entries(verdict.artifacts)) {
    const relative = path.replace(/^out\//, '')
    if (match(relative)) files.push({path: relative, sha256: checksum.replace(/^sha256:/, ''), stored: false})
  }
  for (const stored of verdict.stored ?? []) {
    const relative = stored.path.replace(/^out\//, '')
    if (match(relative)) files.push({path: relative, sha256: stored.sha256, stored: true, bytes: stored.bytes})
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * Why a pattern selected nothing: no such file, or files the upstream's run wrote
 * but rigor left out of git (over the size limits without an artifact store, links):
 * then which, why, and how to keep them.
 */
function noMatchProblem(verdict: VerdictFile, input: NodeInput): string {
  const match = picomatch(input.files, {dot: false})
  const leftOut = (verdict.omitted ?? []).filter((o) => o.path.startsWith('out/') && match(o.path.slice('out/'.length)))
  const none = `no file of ${input.from}'s out/ matches ${input.files.join(', ')}`
  if (leftOut.length === 0) return none
  const [first] = leftOut
  const more = leftOut.length > 1 ? ` (and ${leftOut.length - 1} more)` : ''
  // over a limit: a store keeps such files; anything else (a link, a FIFO, a name git refuses) the run must write otherwise
  const fix = /runner\.limits\.(file_size|total_size)/.test(first!.reason)
    ? 'configure artifact_store: in rigor.yaml for files over runner.limits (or raise the limit)'
    : /runner\.limits\./.test(first!.reason)
      ? 'raise the limit in rigor.yaml'
      : `make ${input.from}'s run write it as a regular file with a plain name`
  return `${none} in git: ${first!.path} was left out of git by ${input.from}'s run (${first!.reason})${more}; ${fix}, then \`rigor rerun ${input.from}\``
}

export interface StagedInputs {
  /** RIGOR_INPUTS and RIGOR_INPUT_<AS> */
  env: Record<string, string>
  /** the directory to show the sandboxed runner, read-only */
  dir: string
  records: InputRecord[]
}

/** Statuses from which a node may still end accepted. */
const UNFINISHED: ReadonlySet<string> = new Set(['pending', 'running', 'blocked'])

export type StagingOutcome =
  | {ok: true; staged: StagedInputs}
  /** `upstreamComingBack`: an upstream is pending, running or blocked (rerun since this node was claimed): the node can wait for it */
  | {ok: false; problem: string; upstreamComingBack?: true}

/**
 * Writes a node's inputs into `dir` from the upstreams' verdict commits at the
 * state's tip. An upstream that is not accepted, a pattern that selects nothing
 * or bytes that do not match their recorded sha256 make a problem, which the
 * caller turns into an inconclusive verdict without running anything.
 */
export async function stageInputs(
  ws: Workspace,
  node: NodeFile,
  dir: string,
  store: ArtifactStore | undefined,
  /** a stop (Ctrl-C, SIGTERM, a cancel): a store's get in flight is stopped, and staging ends with a problem */
  signal?: AbortSignal,
): Promise<StagingOutcome> {
  const tip = await ws.readTip()
  const snap = await ws.snapshot(tip)
  const env: Record<string, string> = {RIGOR_INPUTS: dir}
  const records: InputRecord[] = []
  await mkdir(dir, {recursive: true})
  for (const input of node.inputs ?? []) {
    const label = `input ${input.as} (from ${input.from})`
    const upstream = snap.nodes.get(input.from)
    if (!upstream?.node) return {ok: false, problem: `${label}: no node ${input.from} on the state branch`}
    if (upstream.node.status !== 'proven_accepted') {
      const problem = `${label}: ${input.from} is ${upstream.node.status}; inputs are read from accepted verdicts only`
      return UNFINISHED.has(upstream.node.status) ? {ok: false, problem, upstreamComingBack: true} : {ok: false, problem}
    }
    const verdict = await ws.store.verdict(upstream)
    if (!verdict) return {ok: false, problem: `${label}: ${input.from} has no readable verdict`}
    const files = selectInputFiles(verdict, input)
    if (files.length === 0) return {ok: false, problem: `${label}: ${noMatchProblem(verdict, input)}`}
    const [commit] = await ws.repo.commitsTouching(tip!, verdictFilePath(input.from), {limit: 1})
    // a shallow clone may not hold the commit that wrote the verdict
    if (!commit)
      return {ok: false, problem: `${label}: the commit that wrote ${input.from}'s verdict is not in this clone (fetch its history)`}
    const target = join(dir, input.as)
    const written: InputRecord['files'] = []
    for (const file of files) {
      const dest = join(target, ...file.path.split('/'))
      await mkdir(dirname(dest), {recursive: true})
      if (file.stored) {
        if (!store) return {ok: false, problem: `${label}: out/${file.path} is in the artifact store and rigor.yaml has no artifact_store`}
        const got = await store.get(file.sha256, dest, signal)
        if (!got.ok) return {ok: false, problem: `${label}: out/${file.path}: ${got.problem}`}
        written.push({path: file.path, sha256: file.sha256, bytes: got.bytes, stored: true})
      } else {
        const bytes = await ws.repo.readFileAt(commit, `${outDirPath(input.from)}/${file.path}`)
        if (!bytes) return {ok: false, problem: `${label}: out/${file.path} is missing from ${input.from}'s verdict commit ${commit}`}
        const sha256 = createHash('sha256').update(bytes).digest('hex')
        if (sha256 !== file.sha256)
          return {ok: false, problem: `${label}: out/${file.path} does not match the sha256 its verdict records (run rigor verify)`}
        await writeFile(dest, bytes, {mode: 0o444})
        written.push({path: file.path, sha256, bytes: bytes.length})
      }
      await chmod(dest, 0o444)
    }
    // one file: its own path, so a runner can open RIGOR_INPUT_MODEL directly; several: their directory
    env[inputEnvName(input.as)] = files.length === 1 ? join(target, ...files[0]!.path.split('/')) : target
    records.push({as: input.as, from: input.from, commit, files: written})
  }
  return {ok: true, staged: {env, dir, records}}
}

/**
 * What this run was: the node's command and params, its data file's path and
 * committed bytes (`dataBlob`, the git blob id the run read), and the bytes of
 * every input it read. Two runs with the same fingerprint did the same thing;
 * new data, or a retrained upstream, gives a new one.
 */
export function runFingerprint(
  node: Pick<NodeFile, 'run' | 'params' | 'data'>,
  inputs: readonly InputRecord[] | undefined,
  dataBlob?: string,
): string {
  const read = (inputs ?? []).map((r) => ({as: r.as, from: r.from, files: r.files.map((f) => [f.path, f.sha256])}))
  const data = node.data === undefined ? null : {path: node.data, blob: dataBlob ?? null}
  const text = canonicalize({command: node.run.command, params: node.params ?? {}, data, inputs: read}) ?? ''
  return `sha256:${createHash('sha256').update(text).digest('hex')}`
}

export interface StaleInput {
  as: string
  from: string
  why: string
}

/**
 * Why a finished node's verdict no longer matches its upstreams: an upstream
 * re-run (or retrained) since, whose selected files now differ from the bytes
 * this node read. Empty when every input is what the verdict records.
 */
async function staleInputs(ws: Pick<Workspace, 'store'>, snap: Snapshot, node: NodeFile, verdict: VerdictFile): Promise<StaleInput[]> {
  const stale: StaleInput[] = []
  for (const record of verdict.inputs ?? []) {
    const declared = node.inputs?.find((i) => i.as === record.as)
    const upstream = snap.nodes.get(record.from)
    const say = (why: string) => stale.push({as: record.as, from: record.from, why})
    if (!upstream?.node) {
      say(`${record.from} is gone`)
      continue
    }
    if (upstream.node.status !== 'proven_accepted') {
      say(`${record.from} is ${upstream.node.status} now`)
      continue
    }
    const current = await ws.store.verdict(upstream).catch(() => undefined)
    if (!current || !declared) {
      say(`${record.from}'s verdict cannot be read`)
      continue
    }
    const now = new Map(selectInputFiles(current, declared).map((f) => [f.path, f.sha256]))
    const then = new Map(record.files.map((f) => [f.path, f.sha256]))
    const changed = [...then].filter(([path, sha]) => now.get(path) !== sha).map(([path]) => path)
    const added = [...now.keys()].filter((path) => !then.has(path))
    if (changed.length > 0)
      say(`${record.from}'s out/${changed[0]} changed since ${node.id} ran${changed.length > 1 ? ` (and ${changed.length - 1} more)` : ''}`)
    else if (added.length > 0) say(`${record.from}'s out/ has new matching file ${added[0]}`)
  }
  return stale
}

/**
 * Every finished node of the snapshot whose inputs changed since it ran, with why;
 * and, transitively, every node that read a stale node's outputs: those were made
 * from the old bytes too, though they are still what it read (a retrained model
 * makes the backtest stale, and the assessment of that backtest with it).
 */
export async function staleNodes(ws: Pick<Workspace, 'store'>, snap: Snapshot): Promise<Map<string, StaleInput[]>> {
  const out = new Map<string, StaleInput[]>()
  const readers: Array<{id: string; inputs: InputRecord[]}> = []
  for (const record of snap.nodes.values()) {
    if (!record.node?.inputs?.length || !record.verdictOid) continue
    const verdict = await ws.store.verdict(record).catch(() => undefined)
    if (!verdict?.inputs) continue
    readers.push({id: record.id, inputs: verdict.inputs})
    const stale = await staleInputs(ws, snap, record.node, verdict)
    if (stale.length > 0) out.set(record.id, stale)
  }
  // what first made each stale node stale, passed down the chain so a reader three stages on names the cause
  const cause = new Map([...out].map(([id, stale]) => [id, stale[0]!.why]))
  // each pass reaches one stage further; a pair (reader, upstream) is added once, so the loop ends
  for (let grew = true; grew; ) {
    grew = false
    for (const {id, inputs} of readers) {
      for (const input of inputs) {
        const upstreamCause = cause.get(input.from)
        const stale = out.get(id) ?? []
        if (upstreamCause === undefined || stale.some((s) => s.from === input.from)) continue
        stale.push({as: input.as, from: input.from, why: `${input.from} is stale itself (${upstreamCause})`})
        out.set(id, stale)
        if (!cause.has(id)) cause.set(id, upstreamCause)
        grew = true
      }
    }
  }
  return out
}

/** The stale nodes as `status` and `verify` list them: each id with its inputs' reasons in one line. */
export async function staleNodeReasons(ws: Pick<Workspace, 'store'>, snap: Snapshot): Promise<Array<{id: string; why: string}>> {
  return [...(await staleNodes(ws, snap))].map(([id, inputs]) => ({id, why: inputs.map((i) => `input ${i.as}: ${i.why}`).join('; ')}))
}

/**
 * The very bytes a verdict says its run read, staged again (the auditor's
 * re-runs): from each input's recorded commit, each checked against its sha256.
 */
export async function stageRecordedInputs(
  repo: Workspace['repo'],
  records: readonly InputRecord[],
  dir: string,
  store: ArtifactStore | undefined,
  signal?: AbortSignal,
): Promise<StagingOutcome> {
  const env: Record<string, string> = {RIGOR_INPUTS: dir}
  for (const record of records) {
    const target = join(dir, record.as)
    for (const file of record.files) {
      const dest = join(target, ...file.path.split('/'))
      await mkdir(dirname(dest), {recursive: true})
      const where = `input ${record.as}: ${record.from}'s out/${file.path}`
      if (file.stored) {
        if (!store) return {ok: false, problem: `${where} is in the artifact store and rigor.yaml has no artifact_store`}
        const got = await store.get(file.sha256, dest, signal)
        if (!got.ok) return {ok: false, problem: `${where}: ${got.problem}`}
      } else {
        const bytes = await repo.readFileAt(record.commit, `${outDirPath(record.from)}/${file.path}`)
        if (!bytes || createHash('sha256').update(bytes).digest('hex') !== file.sha256)
          return {ok: false, problem: `${where} at ${record.commit} is missing or differs from the sha256 the verdict records`}
        await writeFile(dest, bytes, {mode: 0o444})
      }
    }
    env[inputEnvName(record.as)] = record.files.length === 1 ? join(target, ...record.files[0]!.path.split('/')) : target
  }
  return {ok: true, staged: {env, dir, records: [...records]}}
}
