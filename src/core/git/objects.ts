import {createHash} from 'node:crypto'
import {mkdir, rename, unlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {deflateSync} from 'node:zlib'
import type {ObjectFormat} from './object-format.js'
import {TEMP_OBJECT_PREFIX} from './temp-objects.js'

export type ObjectType = 'blob' | 'tree' | 'commit'

export interface TreeEntry {
  mode: string
  name: string
  oid: string
}

export const TREE_MODE = '40000'
export const FILE_MODE = '100644'
const MAX_PARALLEL_WRITES = 16

export function objectId(type: ObjectType, body: Buffer, format: ObjectFormat): string {
  return createHash(format.hash).update(`${type} ${body.length}\0`).update(body).digest('hex')
}

/**
 * Writes loose objects straight into the object store: hashing and deflating in
 * process costs microseconds where a `git hash-object` spawn costs milliseconds.
 * The id is known before the file is written, so the writes of one change run
 * in parallel and `flush()` waits for them before the ref moves. Files appear by
 * rename, so a concurrent reader never sees half an object.
 */
export class LooseObjectWriter {
  private readonly knownDirs = new Map<string, Promise<unknown>>()
  private readonly written = new Set<string>()
  private pending: Array<Promise<void>> = []
  private counter = 0

  constructor(
    private readonly objectsDir: string,
    private readonly format: ObjectFormat,
  ) {}

  /** The object's id at once; the file is written in the background until `flush()`. */
  write(type: ObjectType, body: Buffer): string {
    const oid = objectId(type, body, this.format)
    if (this.written.has(oid)) return oid
    this.written.add(oid)
    const write = this.limited(() => this.writeFile(oid, type, body))
    // a failed write must not be remembered as written
    write.catch(() => this.written.delete(oid))
    this.pending.push(write)
    return oid
  }

  private active = 0
  private readonly waiting: Array<() => void> = []

  /** At most MAX_PARALLEL_WRITES files open at once: a seed of 10,000 nodes must not run out of descriptors. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= MAX_PARALLEL_WRITES) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }

  private async writeFile(oid: string, type: ObjectType, body: Buffer): Promise<void> {
    const dir = join(this.objectsDir, oid.slice(0, 2))
    let made = this.knownDirs.get(dir)
    if (!made) {
      made = mkdir(dir, {recursive: true})
      this.knownDirs.set(dir, made)
    }
    await made
    // git's temp prefix: fsck ignores a file a crash left behind, and git prune removes it
    const tmp = join(dir, `${TEMP_OBJECT_PREFIX}${process.pid}_${this.counter++}`)
    try {
      await writeFile(tmp, deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]), {level: 1}), {mode: 0o444})
      await rename(tmp, join(dir, oid.slice(2)))
    } catch (err) {
      // a full disk: leave no half-written file behind
      await unlink(tmp).catch(() => {})
      throw err
    }
  }

  /** Waits until every object handed to write() is on disk. */
  async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      await Promise.all(batch)
    }
  }

  writeBlob(content: string | Buffer): string {
    return this.write('blob', typeof content === 'string' ? Buffer.from(content) : content)
  }

  writeTree(entries: TreeEntry[]): string {
    return this.write('tree', serializeTree(entries))
  }
}

/**
 * Git orders tree entries bytewise (UTF-8), comparing a directory as if its
 * name ended in "/". Compared character by character without allocating: a
 * tree of 10,000 entries is sorted on every commit that touches it. UTF-16 code
 * units order as UTF-8 bytes do except between two non-ASCII characters (a
 * surrogate pair against a character above it), where the bytes decide.
 */
export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const an = a.name
  const bn = b.name
  const shared = Math.min(an.length, bn.length)
  for (let i = 0; i < shared; i++) {
    const ca = an.charCodeAt(i)
    const cb = bn.charCodeAt(i)
    if (ca === cb) continue
    return ca >= 0x80 && cb >= 0x80 ? compareTreeEntryBytes(a, b) : ca - cb
  }
  // a name ends here: what follows is "/" for a directory, nothing for a file (a name never holds "/")
  const next = (name: string, mode: string) => (name.length > shared ? name.charCodeAt(shared) : mode === TREE_MODE ? 0x2f : -1)
  return next(an, a.mode) - next(bn, b.mode)
}

function compareTreeEntryBytes(a: TreeEntry, b: TreeEntry): number {
  const ka = Buffer.from(a.mode === TREE_MODE ? `${a.name}/` : a.name)
  const kb = Buffer.from(b.mode === TREE_MODE ? `${b.name}/` : b.name)
  return Buffer.compare(ka, kb)
}

export function serializeTree(entries: TreeEntry[]): Buffer {
  const sorted = [...entries].sort(compareTreeEntries)
  const parts: Buffer[] = []
  for (const entry of sorted) {
    parts.push(Buffer.from(`${entry.mode} ${entry.name}\0`), Buffer.from(entry.oid, 'hex'))
  }
  return Buffer.concat(parts)
}

/** A tree's entries; each id is `format.rawLength` raw bytes after the name's NUL. */
export function parseTree(body: Buffer, format: ObjectFormat): TreeEntry[] {
  const entries: TreeEntry[] = []
  let pos = 0
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos)
    const nul = body.indexOf(0, space)
    entries.push({
      mode: body.toString('utf8', pos, space),
      name: body.toString('utf8', space + 1, nul),
      oid: body.toString('hex', nul + 1, nul + 1 + format.rawLength),
    })
    pos = nul + 1 + format.rawLength
  }
  return entries
}

export interface CommitFields {
  tree: string
  parents: string[]
  author: string
  committer: string
  message: string
}

export function serializeCommit(c: CommitFields): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${c.author}`, `committer ${c.committer}`]
  return Buffer.from(`${lines.join('\n')}\n\n${c.message.endsWith('\n') ? c.message : `${c.message}\n`}`)
}

export function parseCommitHeader(body: Buffer): {tree: string; parents: string[]; message: string} {
  const text = body.toString('utf8')
  const split = text.indexOf('\n\n')
  const header = split === -1 ? text : text.slice(0, split)
  const parents: string[] = []
  let tree = ''
  for (const line of header.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5)
    else if (line.startsWith('parent ')) parents.push(line.slice(7))
  }
  return {tree, parents, message: split === -1 ? '' : text.slice(split + 2)}
}
