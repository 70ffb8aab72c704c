import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {loadStateDocument, utf8Text} from './documents.js'
import {CorruptFileError, InputError, RigorError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import {diffTrees, listTreeBlobs, treeEntryAt} from '../git/tree-walk.js'
import {classifyStatePath, EXPERIMENTS_DIR, nodeFilePath, STATE_PATHSPECS, verdictFilePath} from './layout.js'
import type {NodeFile, VerdictFile} from '../schemas/index.js'
import {LayeredMap} from './layered-map.js'
import {unknownNodeHint} from '../validation.js'

/** A problem that makes a state file unusable: corrupt checksum or invalid content. */
export type FileProblem =
  | {kind: 'corrupt'; file: string; expected: string; actual: string}
  | {kind: 'invalid'; file: string; message: string}

export interface NodeRecord {
  id: string
  nodeOid: string
  verdictOid?: string
  node?: NodeFile
  problem?: FileProblem
}

export interface Snapshot {
  commit: string | undefined
  tree: string | undefined
  /** immutable: a caller that plans nodes of its own copies it (`new Map(snap.nodes)`) */
  nodes: ReadonlyMap<string, NodeRecord>
  /** how `nodes` differs from the nodes of the snapshot the store made before this one (see StateStore.derive) */
  readonly delta?: SnapshotDelta
  /** ids whose verdict.yaml is committed without the node.yaml beside it (no record in `nodes`), sorted */
  readonly orphanVerdicts?: readonly string[]
}

export interface SnapshotDelta {
  readonly from: ReadonlyMap<string, NodeRecord>
  readonly to: ReadonlyMap<string, NodeRecord>
  /** the ids whose record differs between the two */
  readonly ids: readonly string[]
}

/**
 * Something computed from a snapshot's nodes (the claim order, the running
 * nodes of each team) that the next snapshot can bring up to date from the ids
 * that changed, instead of computing it again from every node.
 */
export interface DerivedKind<T> {
  build(snap: Snapshot): T
  /** `prev` is what build or update gave for `delta.from`; return a new value, not `prev` changed (older snapshots may hold it) */
  update(prev: T, snap: Snapshot, delta: SnapshotDelta): T
}

type CachedDoc = {ok: true; doc: unknown} | {ok: false; problem: FileProblem}

// 2: documents are cached whatever path they were read at (the id a path needs is checked on use)
const CACHE_VERSION = 2

/**
 * Reads rigor's state at any commit of the state branch. Parsed documents are
 * cached by blob id (in memory and on disk), and the node index is updated by
 * diffing trees, so reading the state again after a commit costs a few object reads.
 */
export class StateStore {
  private expTree: string | undefined
  private index = new Map<string, {node?: string; verdict?: string}>()
  private docs = new Map<string, CachedDoc>()
  private dirty = false
  private cacheLoaded = false
  /** the index's records as of `expTree`, kept between snapshots (undefined until the first) */
  private records?: LayeredMap<string, NodeRecord>
  /** the ids of the index with a verdict and no node file, kept with `records` */
  private orphans = new Set<string>()
  private orphanList: readonly string[] = []

  constructor(private readonly repo: Repo) {}

  private get cacheFile(): string {
    return join(this.repo.paths.commonDir, 'rigor', 'cache', `state-v${CACHE_VERSION}.json`)
  }

  private queue: Promise<unknown> = Promise.resolve()

  /** The state at `commit`. Calls run one at a time: the index is updated in place. */
  snapshot(commit: string | undefined): Promise<Snapshot> {
    const next = this.queue.then(() => this.snapshotNow(commit))
    this.queue = next.catch(() => {})
    return next
  }

  private async snapshotNow(commit: string | undefined): Promise<Snapshot> {
    await this.loadCache()
    const tree = commit ? await this.repo.commitTree(commit) : undefined
    const expTree = tree ? await treeEntryAt(this.repo, tree, EXPERIMENTS_DIR) : undefined
    const changed = await this.updateIndex(expTree)
    // after a commit only the nodes it changed are looked at again, not all 10,000
    const rebuild = this.records === undefined
    const ids = rebuild ? [...this.index.keys()] : changed
    const missing = ids.flatMap((id) => {
      const e = this.index.get(id)
      return e?.node && !this.docs.has(e.node) ? [{oid: e.node, file: nodeFilePath(id), kind: 'node' as const, id}] : []
    })
    try {
      await this.parseBlobs(missing)
    } catch (err) {
      // the index has moved on without these records: the next snapshot rebuilds them all
      this.records = undefined
      throw err
    }
    const updates: Array<[string, NodeRecord | undefined]> = []
    if (rebuild) this.orphans = new Set()
    let orphansChanged = rebuild
    for (const id of ids) {
      const entry = this.index.get(id)
      const orphan = entry?.verdict !== undefined && entry.node === undefined
      if (orphan !== this.orphans.has(id)) {
        if (orphan) this.orphans.add(id)
        else this.orphans.delete(id)
        orphansChanged = true
      }
      if (!entry?.node) {
        updates.push([id, undefined])
        continue
      }
      const cached = atPath(this.docs.get(entry.node)!, 'node', id)
      updates.push([
        id,
        {
          id,
          nodeOid: entry.node,
          verdictOid: entry.verdict,
          node: cached.ok ? (cached.doc as NodeFile) : undefined,
          problem: cached.ok ? undefined : cached.problem,
        },
      ])
    }
    // a new version shares the last one's records: no copy of 10,000 entries per commit
    const nodes = rebuild
      ? LayeredMap.of(updates.filter((u): u is [string, NodeRecord] => u[1] !== undefined))
      : this.records!.with(updates)
    const delta = !rebuild && this.lastNodes ? {from: this.lastNodes, to: nodes, ids: changed} : undefined
    this.records = nodes
    this.lastNodes = nodes
    if (orphansChanged) this.orphanList = [...this.orphans].sort()
    const snap: Snapshot = {commit, tree, nodes, delta, orphanVerdicts: this.orphanList}
    // what was derived from the last snapshot is mended now, at every snapshot: a claim's claim order, say, stays
    // current through the verdict commits between two claims instead of being built again from every node
    if (delta)
      for (const [kind, known] of this.derived)
        if (known.nodes === delta.from) this.derived.set(kind, {nodes, value: kind.update(known.value, snap, delta)})
    return snap
  }

  /** the nodes of the last snapshot made, which the next one's delta starts from */
  private lastNodes?: ReadonlyMap<string, NodeRecord>
  private readonly derived = new Map<DerivedKind<unknown>, {nodes: ReadonlyMap<string, NodeRecord>; value: unknown}>()

  /**
   * `kind` computed for `snap`: kept up to date from snapshot to snapshot once
   * computed (see snapshotNow), else computed from every node (the first time,
   * an overlay, a snapshot of another commit).
   */
  derive<T>(kind: DerivedKind<T>, snap: Snapshot): T {
    const known = this.derived.get(kind as DerivedKind<unknown>)
    if (known?.nodes === snap.nodes) return known.value as T
    // not computed yet, or for an older snapshot or an overlay (the store's newer snapshots are mended in snapshotNow)
    const value = kind.build(snap)
    this.derived.set(kind as DerivedKind<unknown>, {nodes: snap.nodes, value})
    return value
  }

  /** A document this process wrote as the blob `oid`, already validated: the next snapshot need not parse it. */
  remember(oid: string, doc: unknown): void {
    if (this.docs.has(oid)) return
    this.docs.set(oid, {ok: true, doc})
    this.dirty = true
  }

  /** The verdict of a node in a snapshot, or undefined when it has none; throws on a corrupt file. */
  async verdict(record: NodeRecord): Promise<VerdictFile | undefined> {
    if (!record.verdictOid) return undefined
    const oid = record.verdictOid
    if (!this.docs.has(oid)) await this.parseBlobs([{oid, file: verdictFilePath(record.id), kind: 'verdict', id: record.id}])
    const cached = atPath(this.docs.get(oid)!, 'verdict', record.id)
    if (!cached.ok) throw problemError(cached.problem)
    return cached.doc as VerdictFile
  }

  /** The verdict files of a snapshot that cannot be used (corrupt checksum, invalid content), their nodes' ids with them; read in one batch. */
  async verdictProblems(snap: Snapshot): Promise<Array<{id: string; problem: FileProblem}>> {
    const records = [...snap.nodes.values()].filter((r) => r.verdictOid !== undefined)
    await this.parseBlobs(
      records
        .filter((r) => !this.docs.has(r.verdictOid!))
        .map((r) => ({oid: r.verdictOid!, file: verdictFilePath(r.id), kind: 'verdict' as const, id: r.id})),
    )
    return records.flatMap((r) => {
      const cached = atPath(this.docs.get(r.verdictOid!)!, 'verdict', r.id)
      return cached.ok ? [] : [{id: r.id, problem: cached.problem}]
    })
  }

  /** Problems of a verdict file without throwing, for `rigor verify`. */
  async verdictProblem(record: NodeRecord): Promise<FileProblem | undefined> {
    try {
      await this.verdict(record)
      return undefined
    } catch (err) {
      const cached = record.verdictOid ? this.docs.get(record.verdictOid) : undefined
      const here = cached && atPath(cached, 'verdict', record.id)
      if (here && !here.ok) return here.problem
      throw err
    }
  }

  /** Brings the index to `expTree`; returns the ids whose node or verdict changed. */
  private async updateIndex(expTree: string | undefined): Promise<string[]> {
    if (expTree === this.expTree) return []
    // runner outputs never hold state files: skip reading them. The first snapshot (no cache) has git list them.
    const changes =
      this.expTree === undefined && expTree !== undefined
        ? await listTreeBlobs(this.repo, expTree, EXPERIMENTS_DIR, STATE_PATHSPECS)
        : await diffTrees(this.repo, this.expTree, expTree, EXPERIMENTS_DIR, (dir) => !dir.endsWith('/out'))
    const ids = new Set<string>()
    for (const change of changes) {
      const hit = classifyStatePath(change.path)
      if (!hit) continue
      const entry = this.index.get(hit.id) ?? {}
      entry[hit.kind] = change.oid
      if (!entry.node && !entry.verdict) this.index.delete(hit.id)
      else this.index.set(hit.id, entry)
      ids.add(hit.id)
    }
    this.expTree = expTree
    this.dirty = true
    return [...ids]
  }

  private async parseBlobs(items: Array<{oid: string; file: string; kind: 'node' | 'verdict'; id: string}>): Promise<void> {
    if (items.length === 0) return
    const schemas = await stateSchemas()
    const parse = (item: (typeof items)[number], body: Buffer | undefined) =>
      this.docs.set(item.oid, parseStateBlob(body ?? Buffer.alloc(0), item, schemas))
    // each file parsed as it comes: in a fresh clone (every object packed) git reads the next ones meanwhile
    await this.repo.cat.readEach(
      items.map((i) => i.oid),
      (i, obj) => parse(items[i]!, obj?.body),
    )
    this.dirty = true
  }

  private async loadCache(): Promise<void> {
    if (this.cacheLoaded) return
    this.cacheLoaded = true
    try {
      const data = JSON.parse(await readFile(this.cacheFile, 'utf8')) as {
        version: number
        expTree?: string
        index: Array<[string, string | undefined, string | undefined]>
        docs: Array<[string, CachedDoc]>
      }
      if (data.version !== CACHE_VERSION) return
      this.expTree = data.expTree
      this.index = new Map(data.index.map(([id, node, verdict]) => [id, {node: node ?? undefined, verdict: verdict ?? undefined}]))
      this.docs = new Map(data.docs)
    } catch {
      // no cache or an unreadable one: start from nothing
    }
  }

  /**
   * Drops parsed documents the current index no longer refers to (earlier
   * revisions of node files): a long-lived worker would otherwise keep every
   * revision it ever read. Runs in the snapshot queue.
   */
  forgetUnreferenced(): Promise<void> {
    const next = this.queue.then(() => {
      const live = this.liveDocs()
      for (const oid of this.docs.keys()) if (!live.has(oid)) this.docs.delete(oid)
    })
    this.queue = next.catch(() => {})
    return next
  }

  private liveDocs(): Set<string> {
    const live = new Set<string>()
    for (const e of this.index.values()) {
      if (e.node) live.add(e.node)
      if (e.verdict) live.add(e.verdict)
    }
    return live
  }

  /** Writes the cache for the next command; only documents still referenced are kept. */
  async persist(): Promise<void> {
    if (!this.dirty) return
    const live = this.liveDocs()
    const data = {
      version: CACHE_VERSION,
      expTree: this.expTree,
      index: [...this.index].map(([id, e]) => [id, e.node ?? null, e.verdict ?? null]),
      docs: [...this.docs].filter(([oid]) => live.has(oid)),
    }
    await mkdir(join(this.cacheFile, '..'), {recursive: true})
    const tmp = `${this.cacheFile}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(data))
    await rename(tmp, this.cacheFile)
    // the cache of the format before is read by no one
    await rm(join(this.cacheFile, '..', `state-v${CACHE_VERSION - 1}.json`), {force: true})
    this.dirty = false
  }
}

/**
 * The node and verdict schemas, built on first use: a command that finds every
 * document in the cache (a small `status`) never builds them, and building
 * schemas was a good part of its start-up.
 */
async function stateSchemas() {
  const [{NodeFile}, {VerdictFile}] = await Promise.all([import('../schemas/node.js'), import('../schemas/verdict.js')])
  return {NodeFile, VerdictFile}
}

/**
 * A node or verdict blob parsed and checked against its schema. What it says is
 * cached by blob id, so nothing here depends on the path it was read at: the same
 * bytes may be committed under two node paths (a copy), and which id a file must
 * name is checked where it is used (atPath).
 */
function parseStateBlob(
  bytes: Buffer,
  item: {file: string; kind: 'node' | 'verdict'},
  schemas: Awaited<ReturnType<typeof stateSchemas>>,
): CachedDoc {
  try {
    const text = utf8Text(bytes, item.file)
    const doc =
      item.kind === 'node' ? loadStateDocument(schemas.NodeFile, text, item.file) : loadStateDocument(schemas.VerdictFile, text, item.file)
    return {ok: true, doc}
  } catch (err) {
    if (err instanceof CorruptFileError)
      return {ok: false, problem: {kind: 'corrupt', file: err.file, expected: err.expected, actual: err.actual}}
    if (err instanceof RigorError) return {ok: false, problem: {kind: 'invalid', file: item.file, message: err.message}}
    throw err
  }
}

/**
 * What a cached document is as node `id`'s file of `kind`: a document that names
 * another node (a copy of its file) is a problem of this path, and a problem found
 * under another path of the same bytes is told with this path.
 */
function atPath(cached: CachedDoc, kind: 'node' | 'verdict', id: string): CachedDoc {
  // the common case, a document that names its own node, builds no path: a snapshot of 10,000 nodes asks 10,000 times
  if (cached.ok && (kind === 'node' ? (cached.doc as NodeFile).id : (cached.doc as VerdictFile).node) === id) return cached
  const file = kind === 'node' ? nodeFilePath(id) : verdictFilePath(id)
  if (!cached.ok) {
    const problem = cached.problem
    if (problem.file === file) return cached
    return {
      ok: false,
      problem:
        problem.kind === 'corrupt' ? {...problem, file} : {...problem, file, message: problem.message.split(problem.file).join(file)},
    }
  }
  const declared = kind === 'node' ? (cached.doc as NodeFile).id : (cached.doc as VerdictFile).node
  const err = new InputError(`says "${declared}" but lives at the path of node "${id}"`, {
    file,
    field: kind === 'node' ? 'id' : 'node',
    fix: 'move the file back to its own node directory; ids and paths must agree',
  })
  return {ok: false, problem: {kind: 'invalid', file, message: err.message}}
}

/** Node `id`'s record in a snapshot, its file readable; else the error that names the fix. The one check every command that takes an id makes. */
export function readableNode(snap: Snapshot, id: string): NodeRecord & {node: NodeFile} {
  const record = snap.nodes.get(id)
  if (!record) throw new InputError(`no node ${id}`, {fix: unknownNodeHint(id, snap.nodes.keys())})
  if (record.problem) throw problemError(record.problem)
  return record as NodeRecord & {node: NodeFile}
}

export function problemError(problem: FileProblem): RigorError {
  return problem.kind === 'corrupt'
    ? new CorruptFileError(problem.file, problem.expected, problem.actual)
    : new InputError(problem.message, {fix: 'correct the file, or restore it from git history'})
}
