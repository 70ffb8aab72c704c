import {parseDocument, stringify} from 'yaml'
import type * as z from 'zod'
import {checkDocument, documentChecksum, withChecksum} from './checksum.js'
import {CorruptFileError, InputError} from '../errors.js'
import {NOT_PLAIN, parsePlainYaml} from './plain-yaml.js'
import {writePlainYaml} from './plain-yaml-writer.js'
import {closestNames, quoted} from '../validation.js'

/**
 * Parses YAML text with the core schema (timestamps stay strings) or says where it
 * is broken: every problem of the file, each with its line and a caret. Tags other
 * than the core ones (`!!binary`, `!!js/function`, `!custom`) are refused rather
 * than silently read as something else.
 */
export function parseYaml(text: string, file: string): unknown {
  // what rigor wrote itself is read by the fast reader; anything else (and every error) by the full parser
  const plain = parsePlainYaml(text)
  return plain === NOT_PLAIN ? parseYamlFully(text, file) : plain
}

const STACK_EXHAUSTED = /Maximum call stack size exceeded/
const TOO_DEEP = 'nested too deeply to read (thousands of levels of lists or mappings)'
const TOO_DEEP_FIX = 'write the value with fewer levels of nesting: no file rigor reads needs more than a few dozen'

/** parseYaml without the fast reader (exported for the tests that hold the two to the same answers). */
export function parseYamlFully(text: string, file: string): unknown {
  const doc = parseDocument(text, {schema: 'core', prettyErrors: true, uniqueKeys: true, resolveKnownTags: false})
  const problems = [...doc.errors, ...doc.warnings]
  if (problems.length > 0) {
    // the parser runs out of stack on thousands of nested levels and says so in JavaScript's words
    const message = (p: {message: string}) => p.message.replace(STACK_EXHAUSTED, TOO_DEEP)
    const shown = problems.slice(0, 10).map((p) => `  ${message(p).trimEnd().replace(/\n\n/, '\n').replace(/\n/g, '\n    ')}`)
    const more = problems.length > 10 ? [`  ... and ${problems.length - 10} more`] : []
    const tagOnly = problems.every((p) => p.code === 'TAG_RESOLVE_FAILED')
    const tooDeep = problems.some((p) => STACK_EXHAUSTED.test(p.message))
    throw new InputError(`invalid YAML (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${[...shown, ...more].join('\n')}`, {
      file,
      fix: tagOnly
        ? 'remove the YAML tags (!!binary, !!js/..., !custom): write plain values'
        : tooDeep
          ? TOO_DEEP_FIX
          : 'correct the YAML at the lines shown',
    })
  }
  try {
    // anchors and aliases are fine in a hand-written spec; a bound keeps a hostile file from exploding
    return doc.toJS({maxAliasCount: 100_000}) ?? {}
  } catch (err) {
    if (STACK_EXHAUSTED.test((err as Error).message)) throw new InputError(`invalid YAML: ${TOO_DEEP}`, {file, fix: TOO_DEEP_FIX})
    throw new InputError(`invalid YAML: ${(err as Error).message}`, {file, fix: 'simplify the anchors and aliases in the file'})
  }
}

/** Decodes a file's bytes as strict UTF-8; invalid bytes are an input error naming the file. */
export function utf8Text(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw new InputError('is not valid UTF-8', {file, fix: `save ${file} as UTF-8`})
  }
}

export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[') || '(top level)'
  )
}

/** Validates `value` against `schema`; the error names the file, every field at fault (up to 10) and what each must be. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const fieldOf = (issue: z.core.$ZodIssue) =>
    formatIssuePath([...issue.path, ...('keys' in issue && Array.isArray(issue.keys) && issue.keys.length ? [issue.keys[0]] : [])])
  const [first, ...rest] = result.error.issues
  const field = fieldOf(first!)
  const messageOf = (issue: z.core.$ZodIssue) => `${issue.message}${didYouMean(schema, issue)}`
  const others = rest.slice(0, 9).map((issue) => `\n  field "${fieldOf(issue)}": ${messageOf(issue)}`)
  const more = rest.length > 9 ? `\n  ... and ${rest.length - 9} more` : ''
  throw new InputError(`${messageOf(first!)}${others.join('')}${more}`, {
    file,
    field,
    fix: result.error.issues.some(isMergeKey)
      ? `${MERGE_KEY_FIX} (${file})`
      : rest.length
        ? `correct the fields named in ${file}`
        : `correct "${field}" in ${file}`,
  })
}

/** YAML 1.1's merge key `<<: *base` is no key in YAML 1.2, which rigor reads: the mapping gets a key named "<<". */
const isMergeKey = (issue: z.core.$ZodIssue) => issue.code === 'unrecognized_keys' && issue.keys.includes('<<')
const MERGE_KEY_FIX =
  'YAML merge keys (<<: *anchor) are not read: write the fields out, or anchor a whole value (run: &run {...} once, then run: *run)'

/** For an unknown key (a typo: `leas`, `max_generation`), the known keys of that mapping closest to it: `; did you mean "lease"?` */
function didYouMean(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys' || issue.keys.length === 0) return ''
  const known = objectsAt(schema as unknown as z.core.$ZodType, issue.path).flatMap((o) => Object.keys(o._zod.def.shape))
  const guesses = issue.keys.flatMap((key) => closestNames(key, known, 1).map((guess) => [key, guess] as const))
  if (guesses.length === 0) return ''
  return issue.keys.length === 1
    ? `; did you mean ${quoted(guesses[0]![1])}?`
    : `; did you mean ${guesses.map(([key, guess]) => `${quoted(guess)} for ${quoted(key)}`).join(', ')}?`
}

/** The object schemas a value at `path` is checked against (through optional, default, pipe, union, array and record). */
function objectsAt(schema: z.core.$ZodType, path: readonly PropertyKey[], depth = 0): z.core.$ZodObject[] {
  if (depth > 64) return []
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>
  const inner = (next: unknown) => objectsAt(next as z.core.$ZodType, path, depth + 1)
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return inner(def.innerType)
    case 'pipe':
      return inner(def.in)
    case 'union':
      return (def.options as z.core.$ZodType[]).flatMap(inner)
    case 'lazy':
      return inner((def.getter as () => unknown)())
  }
  const [head, ...rest] = path
  const below = (next: unknown) => (next ? objectsAt(next as z.core.$ZodType, rest, depth + 1) : [])
  if (path.length === 0) return def.type === 'object' ? [schema as z.core.$ZodObject] : []
  if (def.type === 'object') {
    const shape = def.shape as Record<PropertyKey, unknown>
    return Object.hasOwn(shape, head!) ? below(shape[head!]) : []
  }
  if (def.type === 'array') return below(def.element)
  if (def.type === 'record') return below(def.valueType)
  return []
}

export interface LoadOptions {
  /** skip the checksum check, e.g. to report every problem in `rigor verify` */
  skipChecksum?: boolean
}

/** Reads a checksummed state document: YAML, then the checksum, then the schema. */
export function loadStateDocument<S extends z.ZodType>(schema: S, text: string, file: string, opts: LoadOptions = {}): z.infer<S> {
  const raw = parseYaml(text, file)
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('expected a YAML mapping', {file})
  if (!opts.skipChecksum) {
    const check = checkDocument(raw as Record<string, unknown>)
    if (!check.ok) throw new CorruptFileError(file, check.expected, check.actual)
  }
  return validate(schema, raw, file)
}

/** Serialises a state document with a fresh checksum, keys in the order given. */
export function dumpStateDocument(doc: Record<string, unknown>): string {
  return dumpYaml(withChecksum(doc))
}

/** YAML text for a document: plain ones by the fast writer, everything else by `yaml`, with the same result. */
export function dumpYaml(value: unknown): string {
  const plain = writePlainYaml(value)
  return plain === NOT_PLAIN ? stringify(value, {lineWidth: 0, aliasDuplicateObjects: false}) : plain
}

const FRONT_MATTER = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/

/**
 * A markdown state document (audit reports): YAML front matter with a checksum
 * over the front matter and the body together, so neither can change unnoticed.
 */
export function renderMarkdownDocument(frontMatter: Record<string, unknown>, body: string): string {
  const {checksum: _old, ...fields} = frontMatter
  const cleanBody = normaliseBody(body)
  const checksum = documentChecksum({...fields, body: cleanBody})
  return `---\n${dumpYaml({...fields, checksum}).trimEnd()}\n---\n${cleanBody}`
}

/** Parses a markdown state document, checks its checksum, validates the front matter. */
export function loadMarkdownDocument<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  opts: LoadOptions = {},
): {front: z.infer<S>; body: string} {
  const parts = splitMarkdownDocument(text, file)
  if (!opts.skipChecksum) {
    const check = checkMarkdownDocument(parts.front, parts.body)
    if (!check.ok) throw new CorruptFileError(file, check.expected, check.actual)
  }
  return {front: validate(schema, parts.front, file), body: parts.body}
}

export function splitMarkdownDocument(text: string, file: string): {front: Record<string, unknown>; body: string} {
  const match = FRONT_MATTER.exec(text.replace(/\r\n/g, '\n'))
  if (!match) throw new InputError('expected YAML front matter between --- lines', {file, fix: 'restore the file from git'})
  const front = parseYaml(match[1]!, file)
  if (!front || typeof front !== 'object' || Array.isArray(front)) throw new InputError('front matter is not a YAML mapping', {file})
  return {front: front as Record<string, unknown>, body: match[2]!}
}

export function checkMarkdownDocument(front: Record<string, unknown>, body: string) {
  return checkDocument({...front, body: normaliseBody(body)})
}

const normaliseBody = (body: string): string => `${body.replace(/\r\n/g, '\n').trim()}\n`
