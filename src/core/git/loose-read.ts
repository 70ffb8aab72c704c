import {closeSync, existsSync, openSync, readdirSync, readFileSync, readSync} from 'node:fs'
import {join} from 'node:path'
import {adler32} from './objects.js'
import {isObjectId, type ObjectFormat} from './object-format.js'

export interface LooseObject {
  type: string
  body: Buffer
}

const TYPES = new Set(['blob', 'tree', 'commit', 'tag'])

/** after how many objects not found a batch (LooseObjectReader.batch) lists directories instead of trying each file */
const LIST_AFTER_MISSES = 16

/**
 * Reads loose objects straight from the object store: the objects rigor has
 * just written (a node's tree, the blob of its last commit) are loose, and
 * reading one costs a file read where asking `git cat-file --batch` woke
 * another process and waited for it. Anything else (a packed object, an
 * alternate's, a damaged file) is undefined: the caller asks git. Off in a
 * repository with replace refs, which git applies to every read.
 */
export class LooseObjectReader {
  private enabled?: boolean

  constructor(
    private readonly objectsDir: string,
    private readonly format: ObjectFormat,
  ) {}

  /** The object named by `name` when that is a full object id and the object is loose; undefined otherwise. */
  read(name: string): LooseObject | undefined {
    if (!isObjectId(name, this.format)) return undefined
    const oid = name
    this.enabled ??= !hasReplaceRefs(join(this.objectsDir, '..'))
    if (!this.enabled) return undefined
    return this.readLoose(oid)
  }

  /**
   * A reader for a run of many reads. Each object is opened in turn while most are
   * found; once LIST_AFTER_MISSES have not been, the directories of the rest are
   * listed and only the objects found there are opened: in a fresh clone every
   * object is packed, and 20,000 failed opens (each a thrown error) were a third of
   * a cold status.
   */
  batch(): {read: (name: string) => LooseObject | undefined} {
    this.enabled ??= !hasReplaceRefs(join(this.objectsDir, '..'))
    if (!this.enabled) return {read: () => undefined}
    let misses = 0
    let listed: Map<string, Set<string> | undefined> | undefined
    return {
      read: (name) => {
        if (!isObjectId(name, this.format)) return undefined
        if (listed) {
          const fanout = name.slice(0, 2)
          if (!listed.has(fanout)) listed.set(fanout, this.listFanout(fanout))
          return listed.get(fanout)?.has(name.slice(2)) ? this.readLoose(name) : undefined
        }
        const found = this.readLoose(name)
        if (!found && ++misses === LIST_AFTER_MISSES) listed = new Map()
        return found
      },
    }
  }

  private listFanout(fanout: string): Set<string> | undefined {
    try {
      return new Set(readdirSync(`${this.objectsDir}/${fanout}`))
    } catch {
      return undefined
    }
  }

  private readLoose(oid: string): LooseObject | undefined {
    // concatenated, not joined: objectsDir comes normalised, and a join per read showed in a cold status of 20,000 reads
    const data = this.readFile(`${this.objectsDir}/${oid.slice(0, 2)}/${oid.slice(2)}`)
    if (!data) return undefined
    const raw = inflateStored(data) ?? inflate(data)
    if (!raw) return undefined
    const nul = raw.indexOf(0)
    if (nul === -1 || nul > 32) return undefined
    const space = raw.indexOf(0x20)
    if (space === -1 || space > nul) return undefined
    const type = raw.toString('latin1', 0, space)
    const size = raw.toString('latin1', space + 1, nul)
    if (!TYPES.has(type) || !/^\d+$/.test(size) || Number(size) !== raw.length - nul - 1) return undefined
    // a copy: a stored object's bytes are a view of the scratch buffer, which the next read overwrites
    return {type, body: Buffer.from(raw.subarray(nul + 1))}
  }

  /** reused for every read: loose objects are small, and a read into it needs no stat and no new buffer */
  private readonly scratch = Buffer.allocUnsafe(64 * 1024)

  /** The file's bytes (a view of `scratch` when they fit in it), or undefined when it cannot be read. */
  private readFile(path: string): Buffer | undefined {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch {
      return undefined
    }
    try {
      let length = 0
      for (;;) {
        const n = readSync(fd, this.scratch, length, this.scratch.length - length, null)
        if (n === 0) return this.scratch.subarray(0, length)
        length += n
        if (length === this.scratch.length) return readFileSync(path)
      }
    } catch {
      return undefined
    } finally {
      closeSync(fd)
    }
  }
}

function hasReplaceRefs(gitDir: string): boolean {
  if (existsSync(join(gitDir, 'refs', 'replace'))) return true
  try {
    return readFileSync(join(gitDir, 'packed-refs'), 'utf8').includes(' refs/replace/')
  } catch {
    return false
  }
}

/**
 * A zlib stream of stored blocks only (how rigor writes small objects, see
 * storedZlib) unwrapped without zlib; undefined for any other stream. Block
 * lengths are checked against their complements and the stream's end.
 */
export function inflateStored(data: Buffer): Buffer | undefined {
  if (data.length < 2 || data[0] !== 0x78 || ((data[0] << 8) | data[1]!) % 31 !== 0 || (data[1]! & 0x20) !== 0) return undefined
  const parts: Buffer[] = []
  let at = 2
  for (;;) {
    const header = data[at]
    // a byte-aligned stored block: BFINAL in bit 0, BTYPE 00, the rest of the byte zero
    if (header !== 0 && header !== 1) return undefined
    if (at + 5 > data.length) return undefined
    const length = data.readUInt16LE(at + 1)
    if ((~length & 0xffff) !== data.readUInt16LE(at + 3)) return undefined
    at += 5
    if (at + length > data.length) return undefined
    parts.push(data.subarray(at, at + length))
    at += length
    if (header === 1) break
  }
  // the Adler-32 checksum of the content follows the last block, and nothing after it
  if (at + 4 !== data.length) return undefined
  const content = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  return adler32(content) === data.readUInt32BE(at) ? content : undefined
}

/** zlib is loaded by the first compressed object (git's own loose objects): loading it costs start-up time */
function inflate(data: Buffer): Buffer | undefined {
  try {
    return process.getBuiltinModule('node:zlib').inflateSync(data)
  } catch {
    return undefined
  }
}
