import {NOT_PLAIN} from './plain-yaml.js'

/**
 * A fast writer for the plain documents rigor writes most (node files, claim
 * after claim): block mappings and sequences of plain scalars. `yaml`'s
 * stringify took about half a millisecond for a node file, a tenth of a claim;
 * this writes the same text in microseconds.
 *
 * It only answers when it is sure to write exactly what `yaml` writes (with
 * dumpYaml's options): anything else (strings with quotes, escapes or
 * indicators, keys that are not plain words, exotic numbers, sequences of sequences, objects that are
 * not plain) returns NOT_PLAIN and dumpYaml asks `yaml`. Checked by property
 * tests against `yaml` (test/unit/plain-yaml.test.ts).
 */
export function writePlainYaml(value: unknown): string | typeof NOT_PLAIN {
  if (!isPlainObject(value)) return NOT_PLAIN
  const lines: string[] = []
  // an empty document is `{}` in yaml's hands
  return writeMapping(value, 0, lines) && lines.length > 0 ? `${lines.join('\n')}\n` : NOT_PLAIN
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

// a word that is a string under the core schema (not null, a boolean or a number), or a path such as a verdict's
// artifact names (out/run.log): letters first, no space, colon or other indicator anywhere
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/
const NOT_STRING_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/

// letters, digits and a few marks (a dash first only before another of them: `--fast`), single spaces inside, a colon only before a non-space
const PLAIN_STRING = /^(?:[A-Za-z0-9_./]|-(?=[A-Za-z0-9_./-]))[A-Za-z0-9_./@+=,()-]*(?:(?: |:(?=[^ ]))[A-Za-z0-9_./@+=,()-]+)*$/
// what the core schema reads as something else than a string (then `yaml` quotes it)
const NOT_STRING_SCALAR =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/

/** A scalar's text, or undefined when only `yaml` knows how to write it. */
function scalarText(value: unknown): string | undefined {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) return undefined
    const text = String(value)
    return text.includes('e') ? undefined : text
  }
  // a string the core schema would read as something else is double-quoted (a command's "10"), as `yaml` does
  if (typeof value === 'string') {
    if (value === '') return '""'
    if (!PLAIN_STRING.test(value)) return undefined
    return NOT_STRING_SCALAR.test(value) ? `"${value}"` : value
  }
  return undefined
}

/** Appends `map`'s lines at `indent`; false when some part of it is not plain. */
function writeMapping(map: Record<string, unknown>, indent: number, lines: string[]): boolean {
  const pad = ' '.repeat(indent)
  for (const key of Object.keys(map)) {
    const value = map[key]
    if (value === undefined) continue
    if (!PLAIN_KEY.test(key) || NOT_STRING_KEY.test(key)) return false
    if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${pad}${key}: []`)
      else {
        lines.push(`${pad}${key}:`)
        if (!writeSequence(value, indent + 2, lines)) return false
      }
    } else if (isPlainObject(value)) {
      if (Object.values(value).every((v) => v === undefined)) lines.push(`${pad}${key}: {}`)
      else {
        lines.push(`${pad}${key}:`)
        if (!writeMapping(value, indent + 2, lines)) return false
      }
    } else {
      const text = scalarText(value)
      if (text === undefined) return false
      lines.push(`${pad}${key}: ${text}`)
    }
  }
  return true
}

/** Appends `list`'s items at `indent`: scalars, and mappings whose first key shares the dash's line. */
function writeSequence(list: unknown[], indent: number, lines: string[]): boolean {
  const pad = ' '.repeat(indent)
  for (const item of list) {
    if (isPlainObject(item)) {
      if (Object.values(item).every((v) => v === undefined)) return false
      const first = lines.length
      if (!writeMapping(item, indent + 2, lines)) return false
      lines[first] = `${pad}- ${lines[first]!.slice(indent + 2)}`
    } else {
      const text = scalarText(item)
      if (text === undefined) return false
      lines.push(`${pad}- ${text}`)
    }
  }
  return true
}
