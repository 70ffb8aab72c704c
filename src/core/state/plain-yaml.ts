/**
 * A fast reader for the plain block YAML that rigor writes (`dumpYaml`): block
 * mappings and sequences, plain and quoted one-line scalars, `{}` and `[]`.
 * The full parser (`yaml`) took about 0.7 ms for a 300-byte node file, most of
 * a cold `rigor status` at 10,000 nodes; this reads the same file in a few
 * microseconds.
 *
 * It only ever answers when it is sure: anything outside that subset (comments,
 * anchors, tags, flow collections, block scalars, multi-line scalars, blank
 * lines, tabs, quoted keys, duplicate keys, keys that are not plain strings)
 * returns NOT_PLAIN, and parseYaml reads the text with the full parser, which
 * also reports its errors. Scalars resolve as the YAML 1.2 core schema does in
 * `yaml` (the same tests, in the same order), so both readers give the same
 * value: checked by property tests against the full parser
 * (test/unit/plain-yaml.test.ts).
 */
export const NOT_PLAIN: unique symbol = Symbol('not plain YAML')

/** Thrown inside the reader when the text leaves the subset; caught at the top. */
class NotPlain extends Error {}
const notPlain = (): never => {
  throw new NotPlain()
}

const SPACE = 32
const DASH = 45
const COLON = 58

export function parsePlainYaml(text: string): unknown {
  // tabs, CR, control and non-printable characters, line and paragraph separators, byte-order marks and
  // characters outside the basic plane (kept simple: their escapes and errors are the full parser's business)
  if (text.length === 0 || /[^\x20-\x7e\n\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/.test(text)) return NOT_PLAIN
  const reader = BlockReader.of(text)
  if (reader === undefined || reader.indent[0] !== 0) return NOT_PLAIN
  try {
    // a document that is one scalar is not a state document: the full parser says what it is
    if (reader.isSequenceItem(0) || reader.keyEnd(reader.start[0]!, reader.end[0]!) < 0) return NOT_PLAIN
    const value = reader.mapping(0)
    return reader.done() ? value : NOT_PLAIN
  } catch (err) {
    if (err instanceof NotPlain) return NOT_PLAIN
    throw err
  }
}

/**
 * Reads the text by character codes over line positions (no array of line
 * strings, no slice but the keys and values themselves): a cold `status` reads
 * 10,000 of these documents, and the allocations were a good part of its time.
 */
class BlockReader {
  private at = 0
  private constructor(
    private readonly text: string,
    /** each line's indentation, where its content starts (after the indentation) and where it ends (its newline) */
    readonly indent: number[],
    readonly start: number[],
    readonly end: number[],
  ) {}

  /** The reader over `text`'s lines, or undefined when a line is blank, a comment, a directive or a document marker (the full parser's). */
  static of(text: string): BlockReader | undefined {
    const indent: number[] = []
    const start: number[] = []
    const end: number[] = []
    for (let pos = 0; pos < text.length; ) {
      let eol = text.indexOf('\n', pos)
      if (eol === -1) eol = text.length
      let content = pos
      while (content < eol && text.charCodeAt(content) === SPACE) content++
      if (content === eol) return undefined
      const first = text[content]
      if (first === '#' || first === '%' || text.startsWith('---', content) || text.startsWith('...', content)) return undefined
      indent.push(content - pos)
      start.push(content)
      end.push(eol)
      pos = eol + 1
    }
    return new BlockReader(text, indent, start, end)
  }

  done(): boolean {
    return this.at === this.indent.length
  }

  /** `-` alone or `- ` and more from `from` (a line's content, or what follows a dash) to `to`. */
  private dashAt(from: number, to: number): boolean {
    return this.text.charCodeAt(from) === DASH && (from + 1 === to || this.text.charCodeAt(from + 1) === SPACE)
  }

  isSequenceItem(line: number): boolean {
    return this.dashAt(this.start[line]!, this.end[line]!)
  }

  /**
   * Where the plain key of a `key: value` or `key:` from `from` to `to` ends (its colon), or -1
   * when it is not one: the key is everything before the first colon, and must be a plain string.
   */
  keyEnd(from: number, to: number): number {
    const text = this.text
    let at = from
    if (at < to && isKeyStart(text.charCodeAt(at))) at++
    else return -1
    while (at < to && isKeyChar(text.charCodeAt(at))) at++
    if (at === to || text.charCodeAt(at) !== COLON) return -1
    if (at + 1 !== to && text.charCodeAt(at + 1) !== SPACE) return -1
    // the full parser refuses implicit keys over 1,024 characters
    if (at - from > 1000) return -1
    // keys that are not plain strings under the core schema (numbers, booleans, null) become other things; most keys
    // start with a letter no core scalar starts with, and are not sliced here (mapping slices each key once)
    if (at - from === 9 && text.startsWith('__proto__', from)) return -1
    if (mayStartCoreScalar(text.charCodeAt(from)) && coreScalar(text.slice(from, at)) !== undefined) return -1
    return at
  }

  /** The block starting at the current line, which is indented by `indent`. */
  private block(indent: number): unknown {
    return this.isSequenceItem(this.at) ? this.sequence(indent) : this.mapping(indent)
  }

  mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {}
    const count = this.indent.length
    while (this.at < count && this.indent[this.at] === indent) {
      const from = this.start[this.at]!
      const to = this.end[this.at]!
      if (this.dashAt(from, to)) notPlain()
      const colon = this.keyEnd(from, to)
      if (colon < 0) notPlain()
      const key = this.text.slice(from, colon)
      if (Object.hasOwn(map, key)) notPlain()
      this.at++
      map[key] = colon + 1 === to ? this.nested(indent, true) : this.inline(colon + 2, to, indent)
    }
    if (this.at < count && this.indent[this.at]! > indent) notPlain()
    return map
  }

  private sequence(indent: number): unknown[] {
    const list: unknown[] = []
    const count = this.indent.length
    while (this.at < count && this.indent[this.at] === indent && this.isSequenceItem(this.at)) {
      const from = this.start[this.at]! + 2
      const to = this.end[this.at]!
      if (from >= to) {
        this.at++
        list.push(this.nested(indent, false))
      } else if (this.dashAt(from, to) || this.text.charCodeAt(from) === SPACE) {
        notPlain()
      } else if (this.keyEnd(from, to) >= 0) {
        // `- key: value`: a mapping whose keys line up two columns in
        this.indent[this.at] = indent + 2
        this.start[this.at] = from
        list.push(this.mapping(indent + 2))
      } else {
        this.at++
        list.push(this.inline(from, to, indent))
      }
    }
    if (this.at < count && this.indent[this.at]! > indent) notPlain()
    return list
  }

  /** The value of `key:` or `-` with nothing after it: a deeper block, a sequence at the key's own column, or null. */
  private nested(indent: number, isKey: boolean): unknown {
    if (this.at === this.indent.length) return null
    const next = this.indent[this.at]!
    if (next > indent) return this.block(next)
    if (isKey && next === indent && this.isSequenceItem(this.at)) return this.sequence(indent)
    return null
  }

  /** A scalar from `from` to `to` on the line of its key or dash; nothing may continue it on the next line. */
  private inline(from: number, to: number, indent: number): unknown {
    if (this.at < this.indent.length && this.indent[this.at]! > indent) notPlain()
    const text = this.text
    while (from < to && text.charCodeAt(from) === SPACE) from++
    while (to > from && text.charCodeAt(to - 1) === SPACE) to--
    if (from === to) notPlain()
    // a double-quoted string with no escape and no quote inside is its inner text (JSON.parse would say the same)
    if (text[from] === '"' && to - from >= 2 && text[to - 1] === '"' && !hasQuoteOrEscape(text, from + 1, to - 1))
      return text.slice(from + 1, to - 1)
    return scalar(text, from, to)
  }
}

const isKeyStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 // a-z A-Z 0-9 _
const isKeyChar = (c: number): boolean => isKeyStart(c) || c === 46 || c === 47 || c === 64 || c === 43 || c === DASH // . / @ + -

function hasQuoteOrEscape(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 || c === 92) return true
  }
  return false
}

/** The scalar from `from` to `to` (trimmed, not empty), read by character codes: most are plain words and skip every test. */
function scalar(text: string, from: number, to: number): unknown {
  const first = text.charCodeAt(from)
  if (first === 34) return doubleQuoted(text.slice(from, to)) // "
  if (first === 39) return singleQuoted(text.slice(from, to)) // '
  if (to - from === 2 && text.charCodeAt(from + 1) === first + 2) {
    if (first === 123) return {} // {}
    if (first === 91) return [] // []
  }
  // indicators, and what would make the line something other than one plain scalar
  // (`-`, `?` and `:` may start a plain scalar when a non-space follows: `-c`, `:x`)
  if (INDICATORS.includes(text[from]!)) notPlain()
  if ((first === DASH || first === 63 || first === COLON) && (to - from === 1 || text.charCodeAt(from + 1) === SPACE)) notPlain()
  for (let i = from + 1; i < to; i++) {
    const c = text.charCodeAt(i)
    // ` #` starts a comment; `: ` and a final `:` make a key
    if ((c === 35 && text.charCodeAt(i - 1) === SPACE) || (c === COLON && (i + 1 === to || text.charCodeAt(i + 1) === SPACE))) notPlain()
  }
  const value = text.slice(from, to)
  const resolved = coreScalar(value)
  return resolved === undefined ? value : resolved.value
}

const INDICATORS = '[]{},#&*!|>%@`'
/** any of the eight tests below in one: a timestamp or a version string starts like a number and is none */
const ANY_CORE_SCALAR =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)?$/

/** `~`, `n`, `N`, `t`, `T`, `f`, `F`, a digit, `+`, `.` or `-` */
const mayStartCoreScalar = (c: number): boolean =>
  (c >= 48 && c <= 57) ||
  c === 126 ||
  c === 110 ||
  c === 78 ||
  c === 116 ||
  c === 84 ||
  c === 102 ||
  c === 70 ||
  c === 43 ||
  c === 46 ||
  c === DASH

/** A plain scalar's value when the core schema makes it other than a string, in `yaml`'s order of tests. */
function coreScalar(text: string): {value: unknown} | undefined {
  // every scalar the tests below match is empty or starts with one of these: most keys and strings skip all eight
  if (text !== '' && (!mayStartCoreScalar(text.charCodeAt(0)) || !ANY_CORE_SCALAR.test(text))) return undefined
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return {value: null}
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text)) return {value: text[0] === 't' || text[0] === 'T'}
  if (/^0o[0-7]+$/.test(text)) return {value: Number.parseInt(text.substring(2), 8)}
  if (/^[-+]?[0-9]+$/.test(text)) return {value: Number.parseInt(text, 10)}
  if (/^0x[0-9a-fA-F]+$/.test(text)) return {value: Number.parseInt(text.substring(2), 16)}
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    return {
      value: text.slice(-3).toLowerCase() === 'nan' ? Number.NaN : text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
    }
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return {value: Number.parseFloat(text)}
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return {value: Number.parseFloat(text)}
  return undefined
}

/** `"..."` on one line, with only the escapes YAML and JSON share. */
function doubleQuoted(text: string): string {
  if (text.length < 2 || !text.endsWith('"')) notPlain()
  const inner = text.slice(1, -1)
  // an unescaped quote inside ends the scalar early; escapes JSON lacks (\0, \x41, \e, \N, ...) are the full parser's
  if (/(^|[^\\])(\\\\)*"/.test(inner) || /\\[^"\\/bfnrtu]/.test(inner)) notPlain()
  try {
    return JSON.parse(text) as string
  } catch {
    return notPlain()
  }
}

/** `'...'` on one line, `''` standing for a quote. */
function singleQuoted(text: string): string {
  if (text.length < 2 || !text.endsWith("'")) notPlain()
  const inner = text.slice(1, -1)
  if (inner.replace(/''/g, '').includes("'")) notPlain()
  return inner.replace(/''/g, "'")
}
