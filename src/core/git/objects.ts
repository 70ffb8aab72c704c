import {createHash, hash} from 'node:crypto'
import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import type {ObjectFormat} from './object-format.js'
import {TEMP_OBJECT_PREFIX} from './temp-objects.js'

export type ObjectType = 'blob' | 'tree' | 'commit'

export interface TreeEntry {
  mode: string
  name: string
  oid: string
  /**
   * The name's bytes, kept only when they are not UTF-8 (a user's file named
   * in another encoding; `name` then shows them as U+FFFD): every tree rigor
   * writes back must name it as it was, or each commit would rename the file.
   */
  raw?: Buffer
}

/** What tells entries apart by name: the name, or for one that is not UTF-8 its bytes (two such names may show alike). */
export const entryKey = (entry: TreeEntry): string => (entry.raw ? `\0${entry.raw.toString('latin1')}` : entry.name)

/** How many bytes an entry's name takes in its tree. */
export const nameLength = (entry: TreeEntry): number => entry.raw?.length ?? Buffer.byteLength(entry.name)

export const TREE_MODE = '40000'
export const FILE_MODE = '100644'
export const EXECUTABLE_MODE = '100755'
const LINK_MODE = '120000'
const SUBMODULE_MODE = '160000'

/** Whether a committed tree entry's mode is a file's (executable or not): never a link, a directory or a submodule. */
export const isFileMode = (mode: string): boolean => mode === FILE_MODE || mode === EXECUTABLE_MODE

/** What a tree entry's mode makes it, in words: "a regular file", "a symbolic link", "a directory", "a submodule". */
export function treeModeName(mode: string): string {
  if (isFileMode(mode)) return 'a regular file'
  if (mode === LINK_MODE) return 'a symbolic link'
  if (mode === TREE_MODE) return 'a directory'
  if (mode === SUBMODULE_MODE) return 'a submodule'
  return `mode ${mode}`
}
/**
 * Objects stored without compression: trees (mostly object ids, which do not
 * compress: a 1,000-entry tree shrinks by a quarter at level 1 for five times
 * the time of storing it) and small objects (a loose object takes a file-system
 * block however small it is). Larger blobs (runner outputs) are deflated.
 * `git gc` packs and compresses them all later anyway.
 */
const STORED_BLOB_BYTES = 4096

/** The header git puts before an object's body, in what it hashes and stores: "<type> <length>" and a NUL. */
const objectHeader = (type: ObjectType, length: number): string => `${type} ${length}\0`

/** What git hashes and stores for an object: its header, then the body. */
export function objectBytes(type: ObjectType, body: Buffer): Buffer {
  const header = objectHeader(type, body.length)
  const raw = Buffer.allocUnsafe(header.length + body.length)
  raw.write(header, 0, 'latin1')
  body.copy(raw, header.length)
  return raw
}

export function objectId(type: ObjectType, body: Buffer, format: ObjectFormat): string {
  // two updates, no copy: its callers hash blobs of any size
  return createHash(format.hash).update(objectHeader(type, body.length)).update(body).digest('hex')
}

/**
 * Writes loose objects straight into the object store: hashing and deflating in
 * process costs microseconds where a `git hash-object` spawn costs milliseconds.
 * Each file is written synchronously: a claim writes six small objects, and the
 * thread pool's round trips cost more than the writes (measured: 100 against
 * 75 claims/s on tmpfs, the same on disk). Files appear by rename, so a
 * concurrent reader never sees half an object, and an object is on disk when
 * its id is returned.
 */
export class LooseObjectWriter {
  private readonly knownDirs = new Set<string>()
  private readonly written = new Set<string>()
  private counter = 0

  /** how many object files this writer has written (git's housekeeping runs by it, see Housekeeping) */
  get count(): number {
    return this.counter
  }

  constructor(
    private readonly objectsDir: string,
    private readonly format: ObjectFormat,
  ) {}

  /** Writes the object (unless this writer already did) and returns its id. */
  write(type: ObjectType, body: Buffer): string {
    // the bytes stored are the bytes hashed: one buffer, hashed in one call (a Hash object per object cost more)
    const raw = objectBytes(type, body)
    const oid = hash(this.format.hash, raw, 'hex')
    if (this.written.has(oid)) return oid
    this.writeFile(oid, type, raw, body.length)
    this.written.add(oid)
    return oid
  }

  private writeFile(oid: string, type: ObjectType, raw: Buffer, bodyLength: number): void {
    // plain concatenation: the objects directory is absolute and the rest is hex and rigor's own names (path.join
    // normalizing three paths an object was a few per cent of a claim)
    const dir = `${this.objectsDir}/${oid.slice(0, 2)}`
    if (!this.knownDirs.has(dir)) {
      mkdirSync(dir, {recursive: true})
      this.knownDirs.add(dir)
    }
    // git's temp prefix: fsck ignores a file a crash left behind, and git prune removes it
    const tmp = `${dir}/${TEMP_OBJECT_PREFIX}${process.pid}_${this.counter++}`
    const data = type !== 'blob' || bodyLength <= STORED_BLOB_BYTES ? storedZlib(raw) : deflateLevel1(raw)
    try {
      try {
        writeFileSync(tmp, data, {mode: 0o444})
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        // git removes a fan-out directory it emptied (`git gc` packing the objects, `git prune`): made again
        mkdirSync(dir, {recursive: true})
        writeFileSync(tmp, data, {mode: 0o444})
      }
      // the directory holds the temp file now, so no gc can remove it before the rename
      renameSync(tmp, `${dir}/${oid.slice(2)}`)
    } catch (err) {
      // a full disk: leave no half-written file behind
      rmSync(tmp, {force: true})
      throw err
    }
  }

  writeBlob(content: string | Buffer): string {
    return this.write('blob', typeof content === 'string' ? Buffer.from(content) : content)
  }

  writeTree(entries: TreeEntry[]): string {
    return this.write('tree', serializeTree(entries))
  }
}

/** zlib is loaded by the first larger blob: loading it was milliseconds of every command's start-up */
function deflateLevel1(data: Buffer): Buffer {
  return process.getBuiltinModule('node:zlib').deflateSync(data, {level: 1})
}

/**
 * `data` as a zlib stream of stored (uncompressed) blocks, which is what zlib
 * writes at level 0, without a zlib instance per object: a claim writes six
 * objects, and setting one up cost more than storing a few hundred bytes.
 */
export function storedZlib(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED_BLOCK))
  const out = Buffer.allocUnsafe(2 + blocks * 5 + data.length + 4)
  // CMF/FLG: deflate with a 32 KB window, no dictionary, "fastest" (as zlib marks level 0); 0x7801 % 31 === 0
  out[0] = 0x78
  out[1] = 0x01
  let at = 2
  for (let block = 0; block < blocks; block++) {
    const start = block * MAX_STORED_BLOCK
    const length = Math.min(MAX_STORED_BLOCK, data.length - start)
    out[at] = block === blocks - 1 ? 1 : 0
    out.writeUInt16LE(length, at + 1)
    out.writeUInt16LE(~length & 0xffff, at + 3)
    at += 5
    data.copy(out, at, start, start + length)
    at += length
  }
  out.writeUInt32BE(adler32(data), at)
  return out
}

const MAX_STORED_BLOCK = 65_535

export function adler32(data: Buffer): number {
  let a = 1
  let b = 0
  // 5,552 bytes is the most that can be summed before b must be reduced (RFC 1950)
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length)
    for (; i < end; i++) {
      a += data[i]!
      b += a
    }
    a %= 65_521
    b %= 65_521
  }
  return ((b << 16) | a) >>> 0
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
    return (ca >= 0x80 && cb >= 0x80) || a.raw || b.raw ? compareTreeEntryBytes(a, b) : ca - cb
  }
  // a name ends here: what follows is "/" for a directory, nothing for a file (a name never holds "/")
  if (a.raw || b.raw) return compareTreeEntryBytes(a, b)
  const next = (name: string, mode: string) => (name.length > shared ? name.charCodeAt(shared) : mode === TREE_MODE ? 0x2f : -1)
  return next(an, a.mode) - next(bn, b.mode)
}

function compareTreeEntryBytes(a: TreeEntry, b: TreeEntry): number {
  const key = (e: TreeEntry) => {
    const name = e.raw ?? Buffer.from(e.name)
    return e.mode === TREE_MODE ? Buffer.concat([name, Buffer.from('/')]) : name
  }
  return Buffer.compare(key(a), key(b))
}

/**
 * A tree's bytes, written into one buffer. `sorted`: the caller knows the
 * entries are in git's order already (as an edited tree's are).
 */
export function serializeTree(entries: TreeEntry[], sorted = false): Buffer {
  const ordered = sorted ? entries : [...entries].sort(compareTreeEntries)
  let size = 0
  for (const entry of ordered) size += entry.mode.length + 2 + nameLength(entry) + entry.oid.length / 2
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  for (const entry of ordered) {
    if (entry.raw) {
      pos += out.write(`${entry.mode} `, pos, 'utf8')
      pos += entry.raw.copy(out, pos)
      pos += out.write('\0', pos, 'utf8')
    } else pos += out.write(`${entry.mode} ${entry.name}\0`, pos, 'utf8')
    pos += out.write(entry.oid, pos, 'hex')
  }
  return out
}

/** A tree's entries; each id is `format.rawLength` raw bytes after the name's NUL. */
export function parseTree(body: Buffer, format: ObjectFormat): TreeEntry[] {
  const entries: TreeEntry[] = []
  let pos = 0
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos)
    const nul = body.indexOf(0, space)
    const name = body.toString('utf8', space + 1, nul)
    const entry: TreeEntry = {
      mode: body.toString('utf8', pos, space),
      name,
      oid: body.toString('hex', nul + 1, nul + 1 + format.rawLength),
    }
    // bytes that are not UTF-8 decode to U+FFFD: keep them as they were
    if (name.includes('\ufffd') && !Buffer.from(name).equals(body.subarray(space + 1, nul)))
      entry.raw = Buffer.from(body.subarray(space + 1, nul))
    entries.push(entry)
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
