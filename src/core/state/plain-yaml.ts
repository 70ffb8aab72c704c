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

interface Line {
  indent: number
  content: string
}

/** Thrown inside the reader when the text leaves the subset; caught at the top. */
class NotPlain extends Error {}
const notPlain = (): never => {
  throw new NotPlain()
}

export function parsePlainYaml(text: string): unknown {
  // tabs, CR, control and non-printable characters, line and paragraph separators, byte-order marks and
  // characters outside the basic plane (kept simple: their escapes and errors are the full parser's business)
  if (text.length === 0 || /[^\x20-\x7e\n\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/.test(text)) return NOT_PLAIN
  const raw = text.split('\n')
  if (raw[raw.length - 1] === '') raw.pop()
  const lines: Line[] = []
  for (const line of raw) {
    let indent = 0
    while (line.charCodeAt(indent) === 32) indent++
    const content = line.slice(indent)
    // blank lines, comments, document markers and directives are the full parser's
    if (content === '' || content[0] === '#' || content[0] === '%' || content.startsWith('---') || content.startsWith('...'))
      return NOT_PLAIN
    lines.push({indent, content})
  }
  if (lines[0]!.indent !== 0) return NOT_PLAIN
  try {
    const reader = new BlockReader(lines)
    // a document that is one scalar is not a state document: the full parser says what it is
    if (isSequenceItem(lines[0]!.content) || keyOf(lines[0]!.content) === undefined) return NOT_PLAIN
    const value = reader.mapping(0)
    return reader.done() ? value : NOT_PLAIN
  } catch (err) {
    if (err instanceof NotPlain) return NOT_PLAIN
    throw err
  }
}

const isSequenceItem = (content: string): boolean => content === '-' || content.startsWith('- ')

class BlockReader {
  private at = 0
  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.at === this.lines.length
  }

  /** The block starting at the current line, which is indented by `indent`. */
  private block(indent: number): unknown {
    return isSequenceItem(this.lines[this.at]!.content) ? this.sequence(indent) : this.mapping(indent)
  }

  mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {}
    while (this.at < this.lines.length && this.lines[this.at]!.indent === indent) {
      const {content} = this.lines[this.at]!
      if (isSequenceItem(content)) notPlain()
      const key = keyOf(content) ?? notPlain()
      if (Object.hasOwn(map, key)) notPlain()
      const rest = content.slice(key.length + 1)
      this.at++
      map[key] = rest === '' ? this.nested(indent, true) : this.inline(rest.slice(1), indent)
    }
    if (this.at < this.lines.length && this.lines[this.at]!.indent > indent) notPlain()
    return map
  }

  private sequence(indent: number): unknown[] {
    const list: unknown[] = []
    while (this.at < this.lines.length && this.lines[this.at]!.indent === indent && isSequenceItem(this.lines[this.at]!.content)) {
      const item = this.lines[this.at]!.content.slice(2)
      if (item === '') {
        this.at++
        list.push(this.nested(indent, false))
      } else if (isSequenceItem(item) || item.startsWith(' ')) {
        notPlain()
      } else if (keyOf(item) !== undefined) {
        // `- key: value`: a mapping whose keys line up two columns in
        this.lines[this.at] = {indent: indent + 2, content: item}
        list.push(this.mapping(indent + 2))
      } else {
        this.at++
        list.push(this.inline(item, indent))
      }
    }
    if (this.at < this.lines.length && this.lines[this.at]!.indent > indent) notPlain()
    return list
  }

  /** The value of `key:` or `-` with nothing after it: a deeper block, a sequence at the key's own column, or null. */
  private nested(indent: number, isKey: boolean): unknown {
    const next = this.lines[this.at]
    if (next && next.indent > indent) return this.block(next.indent)
    if (next && isKey && next.indent === indent && isSequenceItem(next.content)) return this.sequence(indent)
    return null
  }

  /** A scalar on the same line as its key or dash; nothing may continue it on the next line. */
  private inline(text: string, indent: number): unknown {
    const next = this.lines[this.at]
    if (next && next.indent > indent) notPlain()
    return scalar(text.replace(/^ +| +$/g, ''))
  }
}

/** The plain key of a `key: value` or `key:` line, or undefined when the line is not one. */
function keyOf(content: string): string | undefined {
  const colon = content.indexOf(':')
  if (colon <= 0) return undefined
  if (colon !== content.length - 1 && content[colon + 1] !== ' ') return undefined
  const key = content.slice(0, colon)
  // the full parser refuses implicit keys over 1,024 characters
  if (key.length > 1000) return undefined
  // keys that are not plain strings under the core schema (numbers, booleans, null) become other things
  if (!/^[A-Za-z0-9_][A-Za-z0-9_./@+-]*$/.test(key) || key === '__proto__' || coreScalar(key) !== undefined) return undefined
  return key
}

function scalar(text: string): unknown {
  if (text === '') return notPlain()
  const first = text[0]!
  if (first === '"') return doubleQuoted(text)
  if (first === "'") return singleQuoted(text)
  if (text === '{}') return {}
  if (text === '[]') return []
  // indicators, and what would make the line something other than one plain scalar
  // (`-`, `?` and `:` may start a plain scalar when a non-space follows: `-c`, `:x`)
  if (
    '[]{},#&*!|>%@`'.includes(first) ||
    ('-?:'.includes(first) && (text.length === 1 || text[1] === ' ')) ||
    text.includes(' #') ||
    text.includes(': ') ||
    text.endsWith(':')
  ) {
    return notPlain()
  }
  const resolved = coreScalar(text)
  return resolved === undefined ? text : resolved.value
}

const CORE_SCALAR_START = /^[~nNtTfF0-9+.-]/

/** A plain scalar's value when the core schema makes it other than a string, in `yaml`'s order of tests. */
function coreScalar(text: string): {value: unknown} | undefined {
  // every scalar the tests below match is empty or starts with one of these: most keys and strings skip all eight
  if (text !== '' && !CORE_SCALAR_START.test(text)) return undefined
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
