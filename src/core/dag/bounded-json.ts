import {closeSync, constants, fstatSync, openSync, read, readSync} from 'node:fs'
import {controlsEscaped} from '../validation.js'

/**
 * JSON read with bounded memory: while the bytes stream in, every string longer
 * than `maxString` bytes (as written in the file) is cut, its tail never held,
 * and a marker records how long it was. A 1 GB `notes` costs one pass over the
 * file and `maxString` bytes of memory; the rest of the document (keys,
 * numbers, structure) may hold at most `maxBytes`.
 */
export interface BoundedJsonOptions {
  maxString: number
  maxBytes: number
  /** files larger than this are not read at all */
  maxFileBytes: number
  /** arrays and objects nested deeper than this are refused (MAX_JSON_DEPTH unless told) */
  maxDepth?: number
}

/** A string that was cut while reading, by its JSON path (`notes`, `metrics.x`), and its length in the file. */
export interface CutString {
  path: string
  bytes: number
}

export type BoundedJson = {ok: true; value: unknown; cuts: CutString[]} | {ok: false; reason: string}

const CHUNK = 1024 * 1024
/**
 * verdict.json nests three levels deep (cost, accounting); a document nested thousands deep is refused while it
 * streams in: walking it afterwards (uncut, the schema) would overflow the stack and take the work loop down with it
 */
export const MAX_JSON_DEPTH = 64
const CUT_MARK = 'rigor-cut:'
// the marker is a NUL plus text, escaped in JSON: a runner can fake one only to mislabel its own string
const CUT_SUFFIX = /\u0000rigor-cut:(\d+)$/
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

export async function readBoundedJson(file: string, opts: BoundedJsonOptions, name = file): Promise<BoundedJson> {
  let fd: number
  try {
    // no symlink, and never wait on a FIFO the runner left in its place
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? `the runner wrote no ${name} in RIGOR_OUT`
          : `${name} could not be read (${code === 'ELOOP' ? 'a symbolic link' : code})`,
    }
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) return {ok: false, reason: `${name} is not a regular file`}
    if (info.size > opts.maxFileBytes) return {ok: false, reason: `${name} is ${info.size} bytes; rigor reads at most ${opts.maxFileBytes}`}
    const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH
    const capper = new StringCapper(opts.maxString, maxDepth)
    const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(info.size + 1, 64 * 1024)))
    // the usual verdict.json of a few hundred bytes is read at once; a large one a chunk at a time through the
    // thread pool, so that reading a gigabyte does not hold up the work loop's other runs
    for (let chunk = 0; ; chunk++) {
      const bytesRead = chunk === 0 ? readSync(fd, buffer, 0, buffer.length, null) : await readChunk(fd, buffer)
      if (bytesRead === 0) break
      capper.push(buffer.subarray(0, bytesRead))
      if (capper.tooDeep) return {ok: false, reason: `${name} nests arrays or objects more than ${maxDepth} levels deep`}
      if (capper.bytes > opts.maxBytes) {
        return {
          ok: false,
          reason: `${name} holds more than ${opts.maxBytes} bytes besides its long strings (too many metrics or artifacts)`,
        }
      }
    }
    let value: unknown
    try {
      value = JSON.parse(capper.text())
    } catch (err) {
      // the parser quotes the runner's bytes around the error, which may hold a terminal's escape sequences
      return {ok: false, reason: `${name} is not valid JSON (${controlsEscaped((err as Error).message)})`}
    }
    const cuts: CutString[] = []
    return {ok: true, value: uncut(value, '', cuts), cuts}
  } finally {
    closeSync(fd)
  }
}

function readChunk(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, 0, buffer.length, null, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
  )
}

/**
 * Copies JSON bytes through, cutting strings longer than `maxString`. A cut
 * falls only where a character or an escape sequence begins, so what is kept
 * is still valid JSON and valid UTF-8.
 */
export class StringCapper {
  private readonly parts: Buffer[] = []
  /** bytes kept so far */
  bytes = 0
  /** whether arrays and objects (outside strings) were opened more than maxDepth deep */
  tooDeep = false
  private depth = 0
  private inString = false
  private escape = false
  private hexLeft = 0
  private cutting = false
  /** bytes of the current string kept, and skipped after a cut */
  private kept = 0
  private skipped = 0

  constructor(
    private readonly maxString: number,
    private readonly maxDepth = Number.POSITIVE_INFINITY,
  ) {}

  push(chunk: Buffer): void {
    let from = 0
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.cutting) {
        if (this.escape) {
          this.escape = false
          this.skipped++
          i++
          continue
        }
        const quote = chunk.indexOf(QUOTE, i)
        const backslash = chunk.indexOf(BACKSLASH, i)
        if (backslash !== -1 && (quote === -1 || backslash < quote)) {
          this.skipped += backslash - i + 1
          this.escape = true
          i = backslash + 1
          continue
        }
        if (quote === -1) {
          this.skipped += n - i
          i = n
          from = n
          break
        }
        this.skipped += quote - i
        this.keep(Buffer.from(`\\u0000${CUT_MARK}${this.kept + this.skipped}`))
        this.cutting = false
        this.inString = false
        // the closing quote goes out with the next slice
        from = quote
        i = quote + 1
        continue
      }
      const c = chunk[i]!
      if (!this.inString) {
        if (c === QUOTE) {
          this.inString = true
          this.kept = 0
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (++this.depth > this.maxDepth) this.tooDeep = true
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) this.depth--
      } else if (this.escape) {
        this.escape = false
        if (c === 0x75) this.hexLeft = 4
        this.kept++
      } else if (this.hexLeft > 0) {
        this.hexLeft--
        this.kept++
      } else if (c === QUOTE) {
        this.inString = false
      } else if (this.kept >= this.maxString && (c & 0xc0) !== 0x80) {
        this.keep(chunk.subarray(from, i))
        this.cutting = true
        this.skipped = 0
        // the cutting branch takes this byte: a backslash there starts an escape
        continue
      } else {
        if (c === BACKSLASH) this.escape = true
        this.kept++
      }
      i++
    }
    if (!this.cutting && from < n) this.keep(chunk.subarray(from, n))
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return
    // the read buffer is reused for the next chunk: keep a copy
    this.parts.push(Buffer.from(part))
    this.bytes += part.length
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8')
  }
}

/** Strips the cut markers, recording each cut string by its path; a cut between two halves of a surrogate pair leaves U+FFFD. */
function uncut(value: unknown, path: string, cuts: CutString[]): unknown {
  const clean = (text: string, at: string): string => {
    const match = CUT_SUFFIX.exec(text)
    if (!match) return text
    cuts.push({path: at, bytes: Number(match[1])})
    return text.slice(0, match.index).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  }
  if (typeof value === 'string') return clean(value, path)
  if (Array.isArray(value)) return value.map((v, i) => uncut(v, `${path}[${i}]`, cuts))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(value)) {
      const name = clean(key, path ? `${path}.${key.slice(0, 40)}` : key.slice(0, 40))
      // defined, not assigned: a key "__proto__" stays a key
      Object.defineProperty(out, name, {
        value: uncut(v, path ? `${path}.${name}` : name, cuts),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  return value
}
