import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {dumpStateDocument, dumpYaml, parseYaml, parseYamlFully} from '../../src/core/state/documents.js'
import {NOT_PLAIN, parsePlainYaml} from '../../src/core/state/plain-yaml.js'
import {writePlainYaml} from '../../src/core/state/plain-yaml-writer.js'
import {stringify} from 'yaml'

/** The full parser's answer, or the error it gives. */
function fully(text: string): {value: unknown} | {error: string} {
  try {
    return {value: parseYamlFully(text, 'x.yaml')}
  } catch (err) {
    return {error: (err as Error).message}
  }
}

/** The fast reader either declines or gives exactly the full parser's value (-0, NaN and key order included). */
function agrees(text: string): boolean {
  const fast = parsePlainYaml(text)
  if (fast === NOT_PLAIN) return false
  const full = fully(text)
  expect(full, text).toHaveProperty('value')
  expect(fast, text).toStrictEqual((full as {value: unknown}).value)
  expect(Object.keys(fast as object), text).toEqual(Object.keys((full as {value: object}).value))
  return true
}

const key = fc.oneof(
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/),
  fc.constantFrom('id', 'true', 'null', 'Null', '1', '0x1f', '1.5', '.inf', 'a/b', 'x-y', '__proto__', 'a b', 'on', 'yes', '~'),
)
const scalarValue = fc.oneof(
  fc.string(),
  fc.string({unit: 'grapheme'}),
  fc.constantFrom(
    'true',
    'null',
    '~',
    '',
    ' ',
    '- x',
    '#',
    'a #b',
    'a: b',
    'x:',
    '0o17',
    '0x1F',
    '1e3',
    '.5',
    '+1',
    '-0',
    '2026-12-02T06:59:15.527Z',
    "it's",
    '"q"',
    '\\',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
)
const document = fc.letrec((tie) => ({
  value: fc.oneof({depthSize: 'small'}, scalarValue, tie('list'), tie('map')),
  list: fc.array(tie('value'), {maxLength: 4}),
  map: fc.dictionary(key, tie('value'), {maxKeys: 5}),
})).map
const topLevel = fc.dictionary(key, document, {minKeys: 1, maxKeys: 6})

describe('the plain YAML reader', () => {
  it('reads what rigor writes exactly as the full parser does', () => {
    fc.assert(
      fc.property(topLevel, (doc) => {
        agrees(dumpYaml(doc))
      }),
      {numRuns: 1000},
    )
  })

  it("takes the fast path for documents like rigor's own (else it would not be worth having)", () => {
    const word = fc.stringMatching(/^[A-Za-z0-9 _:./#'"-]{0,16}$/)
    const leaf = fc.oneof(word, fc.integer(), fc.double({noNaN: true}), fc.boolean(), fc.constant(null))
    const nodeLike = fc.letrec((tie) => ({
      value: fc.oneof({depthSize: 'small'}, leaf, tie('list'), tie('map')),
      list: fc.array(fc.oneof(leaf, tie('map')), {maxLength: 4}),
      map: fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/), tie('value'), {maxKeys: 5}),
    })).map
    let read = 0
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/), nodeLike, {minKeys: 1, maxKeys: 6}), (doc) => {
        if (agrees(dumpYaml(doc))) read++
      }),
      {numRuns: 500},
    )
    expect(read).toBeGreaterThan(475)
  })

  it('declines or agrees on any text made of YAML pieces, and never answers where the full parser refuses', () => {
    const piece = fc.constantFrom(
      'a',
      'b',
      'key',
      'id',
      '1',
      '-1',
      '0x1F',
      '1.50',
      '.nan',
      'true',
      'Null',
      '~',
      '',
      ' ',
      '  ',
      ':',
      ': ',
      '- ',
      '-',
      '#',
      ' #',
      '"',
      "'",
      '\\',
      '\\n',
      '\\x41',
      '{}',
      '[]',
      '{',
      '[',
      ',',
      '&a',
      '*a',
      '!!str',
      '!x',
      '|',
      '>',
      '?',
      '%',
      '@',
      '`',
      '---',
      '...',
      '\t',
      'é',
      '😀',
      '\u0085',
      '\u2028',
      '\ufeff',
      '\u0000',
      'x: y',
      'k:v',
      'http://x',
      '__proto__',
    )
    const value = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'a',
          '1',
          '-1',
          'x y',
          '-c',
          ':x',
          '"q"',
          "'s'",
          '{}',
          '[]',
          '1.50',
          '.5',
          'true',
          'Null',
          'k:v',
          'http://x',
          '0o17',
        ),
      },
      {weight: 2, arbitrary: fc.array(piece, {maxLength: 4}).map((parts) => parts.join(''))},
    )
    const indent = fc.constantFrom('', '', '  ', '    ', ' ')
    const line = fc.oneof(
      fc
        .tuple(indent, fc.constantFrom('a', 'b', 'id', 'x-y', 'true', '1', 'a b', '"q"'), fc.option(value))
        .map(([at, k, v]) => `${at}${k}:${v === null ? '' : ` ${v}`}`),
      fc.tuple(indent, value).map(([at, v]) => `${at}- ${v}`),
      fc.tuple(indent, value).map(([at, v]) => `${at}${v}`),
    )
    const text = fc.array(line, {minLength: 1, maxLength: 6}).map((lines) => `${lines.join('\n')}\n`)
    let read = 0
    fc.assert(
      fc.property(text, (t) => {
        if (agrees(t)) read++
      }),
      {numRuns: 20_000},
    )
    expect(read).toBeGreaterThan(100)
  })

  it('reads a node file as written, and hands comments, anchors, tags and block scalars to the full parser', () => {
    const node = dumpStateDocument({
      id: 'bench/n00001',
      team: 'default',
      status: 'pending',
      params: {},
      run: {command: ['sh', '-c', 'true']},
      requires: [],
      priority: 0,
      created_at: '2026-12-02T06:59:15.527Z',
      notes: 'it\'s: "quoted" #1',
    })
    expect(agrees(node)).toBe(true)
    for (const text of [
      'a: 1 # note\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  two\n  lines\n',
      'a: [1, 2]\n',
      'a:\n\n  b: 1\n',
      'a: 1\na: 2\n',
      // keys the core schema reads as numbers, null or booleans: "31", "1.5", "" and a duplicate key to the full parser
      '0x1f: a\n',
      '1.50: a\n',
      '~: a\n',
      'True: 1\ntrue: 2\n',
    ]) {
      expect(parsePlainYaml(text), text).toBe(NOT_PLAIN)
      // and parseYaml still reads them, or refuses them, as before
      const full = fully(text)
      if ('value' in full) expect(parseYaml(text, 'x.yaml')).toStrictEqual(full.value)
      else expect(() => parseYaml(text, 'x.yaml')).toThrow(full.error)
    }
  })
})

/** The fast writer either declines or writes exactly what `yaml` writes. */
function writesAsYaml(doc: unknown): boolean {
  const fast = writePlainYaml(doc)
  if (fast === NOT_PLAIN) return false
  expect(fast, JSON.stringify(doc)).toBe(stringify(doc, {lineWidth: 0, aliasDuplicateObjects: false}))
  return true
}

describe('the plain YAML writer', () => {
  it('writes what it writes exactly as yaml does, over any document', () => {
    fc.assert(
      fc.property(topLevel, (doc) => {
        writesAsYaml(doc)
      }),
      {numRuns: 2000},
    )
  })

  it('writes strings of YAML pieces as yaml does, or leaves them to it', () => {
    const piece = fc.constantFrom(
      'a',
      'Z',
      '1',
      '0',
      '.',
      '/',
      '-',
      '_',
      '@',
      '+',
      '=',
      ',',
      '(',
      ')',
      ':',
      ' ',
      'e',
      'x',
      'o',
      'inf',
      'nan',
      'true',
      'null',
      '~',
      '#',
      "'",
      '"',
      'é',
    )
    const text = fc.array(piece, {minLength: 1, maxLength: 6}).map((parts) => parts.join(''))
    const leaf = fc.oneof(text, fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e21, 1e-7, 0.1, 123.456, -5))
    let written = 0
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-z0-9_./-]{0,5}$/), fc.oneof(leaf, fc.array(leaf, {maxLength: 3})), {
          minKeys: 1,
          maxKeys: 4,
        }),
        (doc) => {
          if (writesAsYaml(doc)) written++
        },
      ),
      {numRuns: 5000},
    )
    // not a vacuous property: the writer itself took a good share of the documents (about a tenth, 482 the fewest seen
    // in a run; the share varies with fast-check's seed, so the floor is well below it)
    expect(written).toBeGreaterThan(250)
  })

  it('writes a node file and a verdict-like document itself', () => {
    const node = {
      id: 'bench/n00001',
      team: 'default',
      status: 'running',
      attempt: 1,
      worker: 'host-1234',
      started_at: '2026-12-02T06:59:15.527Z',
      params: {lookback: 20, threshold: 0.5, name: 'sma_cross'},
      run: {command: ['python', 'strategies/sma.py', '--fast', '10'], timeout: '30m'},
      data: [{path: 'data/prices.csv', sha256: 'ab12'}],
      requires: [],
      priority: 0,
      generation: 1,
      created_at: '2026-12-02T06:59:15.527Z',
      seq: 3,
      checksum: 'sha256:0123abcd',
    }
    expect(writesAsYaml(node)).toBe(true)
    expect(writesAsYaml({a: '', b: '1', c: 'true', d: '0x1F', e: '.5'})).toBe(true)
    expect(
      writesAsYaml({
        node: 'a/b',
        metrics: {sharpe: 1.25, trades: 40},
        gates: [{name: 'min_sharpe', passed: true}],
        reason: 'gate min_sharpe (1.2) passed',
        artifacts: {'out/run.log': 'sha256:e3b0', 'out/returns.csv': 'sha256:dccb', 'out/sub-dir/a.b-c_d': 'sha256:00'},
      }),
    ).toBe(true)
    // and declines what only yaml writes right
    for (const doc of [
      {a: "it's"},
      {a: 'x: y'},
      {a: ' x'},
      {a: 'a #b'},
      {a: '- x'},
      {a: '-'},
      {a: [[1]]},
      {a: -0},
      {a: 1e21},
      {'a b': 1},
      {'a:b': 1},
      {'out/a b': 1},
      {'-a': 1},
      {'1a': 1},
      {true: 1},
      {a: new Date(0)},
      {},
      {a: undefined},
    ]) {
      expect(writePlainYaml(doc), JSON.stringify(doc)).toBe(NOT_PLAIN)
    }
  })
})

describe('YAML nested thousands of levels deep', () => {
  it('is an input error that says so and names the place, not "Maximum call stack size exceeded"', () => {
    for (const text of [`nodes: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, `a: &x ${'['.repeat(3000)}${']'.repeat(3000)}\nb: *x\n`]) {
      let error: any
      try {
        parseYaml(text, 'spec.yaml')
      } catch (err) {
        error = err
      }
      expect(error?.exitCode).toBe(2)
      expect(error.message).toMatch(/^spec\.yaml: invalid YAML .*\n {2}nested too deeply to read .* at line 1, column \d+/)
      expect(error.message).not.toContain('call stack')
      expect(error.fix).toMatch(/fewer levels of nesting/)
    }
    // hundreds of levels are read
    expect(parseYaml(`p: ${'['.repeat(800)}${']'.repeat(800)}\n`, 'spec.yaml')).toHaveProperty('p')
  })
})
