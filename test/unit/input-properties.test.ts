import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {formatCommitMessage, parseTrailers} from '../../src/core/state/commit-message.js'
import {validateConfigConditions} from '../../src/core/state/conditions.js'
import {parseConfig} from '../../src/core/state/config.js'
import {loadStateDocument, parseYaml, validate} from '../../src/core/state/documents.js'
import {InputError} from '../../src/core/errors.js'
import {renderNode} from '../../src/core/state/node-files.js'
import {readRunnerReport} from '../../src/core/dag/runner.js'
import {IsoTime, NodeFile, SeedSpec} from '../../src/core/schemas/index.js'
import {DEFAULT_RUNNER_LIMITS} from '../../src/core/schemas/limits.js'
import {nodesOfSpec} from '../../src/core/dag/seed.js'
import {defaultSeederName, defaultWorkerName} from '../../src/core/state/workspace.js'
import {
  branchNameProblem,
  isoTimeMillis,
  MAX_DURATION_MS,
  nodeIdProblem,
  parseDuration,
  parseStopTime,
  utcDateProblem,
  workerNameFrom,
  workerNameProblem,
} from '../../src/core/validation.js'

/** Runs `fn`: either it returns, or it throws an InputError naming the file; anything else is a crash. */
function acceptedOrInputError(fn: () => void, file: string): 'accepted' | 'rejected' {
  try {
    fn()
    return 'accepted'
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    expect(err.message).toContain(file)
    return 'rejected'
  }
}

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/)
const idLike = fc.oneof(
  fc.array(segment, {minLength: 1, maxLength: 4}).map((p) => p.join('/')),
  fc.string({maxLength: 30}),
  fc.constantFrom('../x', '/abs', 'A/b', 'a//b', 'a/out', 'x'.repeat(600), 'a/b.lock', 'a\nb'),
)
const duration = fc.oneof(
  fc.constantFrom('10m', '90s', '2h', '30d', 'banana', '-5s', '', '0s'),
  fc.integer({min: -10, max: 10 ** 7}),
  fc.double(),
)
const command = fc.oneof(fc.array(fc.string({minLength: 1, maxLength: 10}), {minLength: 1, maxLength: 3}), fc.constant([]), fc.string())
const params = fc.dictionary(
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_-]{0,6}$/),
  fc.oneof(fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true}), fc.string({maxLength: 5}), fc.boolean()),
  {maxKeys: 3},
)

const seedNode = fc.record(
  {
    id: idLike,
    team: fc.option(fc.constantFrom('default', 'Bad Team', 'x'), {nil: undefined}),
    run: fc.record({command, timeout: fc.option(duration, {nil: undefined})}),
    params,
    requires: fc.option(fc.array(idLike, {maxLength: 2}), {nil: undefined}),
  },
  {requiredKeys: ['id', 'run']},
)
const seedSweep = fc.record({
  id: idLike,
  run: fc.record({command}),
  grid: fc.dictionary(
    fc.stringMatching(/^[a-z][a-z_]{0,5}$/),
    fc.array(fc.oneof(fc.integer({min: -5, max: 50}), fc.constantFrom(0.5, 'x', true)), {minLength: 1, maxLength: 3}),
    {minKeys: 1, maxKeys: 2},
  ),
})
const seedSpec = fc.record(
  {nodes: fc.array(seedNode, {maxLength: 3}), sweeps: fc.array(seedSweep, {maxLength: 1}), extra: fc.option(fc.string(), {nil: undefined})},
  {requiredKeys: []},
)

describe('seed specs', () => {
  it('are either accepted and round-trip through node.yaml, or rejected with an InputError naming the file and a field', () => {
    fc.assert(
      fc.property(seedSpec, (spec) => {
        const text = stringify(spec)
        let drafts: ReturnType<typeof nodesOfSpec> = []
        const outcome = acceptedOrInputError(() => {
          drafts = nodesOfSpec(validate(SeedSpec, parseYaml(text, 'spec.yaml'), 'spec.yaml'), {
            createdAt: '2026-01-01T00:00:00.000Z',
            file: 'spec.yaml',
          })
        }, 'spec.yaml')
        if (outcome === 'rejected') return
        for (const draft of drafts) {
          const {node, text: yaml} = renderNode(draft as NodeFile)
          const back = loadStateDocument(NodeFile, yaml, 'node.yaml')
          expect(back).toEqual(node)
        }
      }),
      {numRuns: 300},
    )
  })
})

const condition = fc.oneof(
  fc.constantFrom(
    'metrics.sharpe > 0.5',
    'has(metrics.x) && metrics.x < 1',
    'metrics.sharpe >',
    'nodes.exists(n, n.team == "a")',
    '1 + "a"',
    'params.alpha',
  ),
  fc.string({maxLength: 20}),
)
const config = fc.record(
  {
    version: fc.constantFrom(1, 2, '1'),
    branch: fc.option(fc.oneof(fc.constantFrom('main', 'research/state', 'x\ny', '-x', 'a..b', 'a.lock'), fc.string({maxLength: 12})), {
      nil: undefined,
    }),
    teams: fc.array(
      fc.record(
        {name: fc.oneof(segment, fc.string({maxLength: 6})), waits_for: fc.option(condition, {nil: undefined})},
        {requiredKeys: ['name']},
      ),
      {maxLength: 2},
    ),
    gates: fc.array(
      fc.record(
        {
          name: fc.string({minLength: 1, maxLength: 5}),
          accept_when: fc.option(condition, {nil: undefined}),
          reject_when: fc.option(condition, {nil: undefined}),
        },
        {requiredKeys: ['name']},
      ),
      {maxLength: 2},
    ),
    lease: fc.option(fc.record({duration}), {nil: undefined}),
    unknown_key: fc.option(fc.integer(), {nil: undefined}),
  },
  {requiredKeys: ['version']},
)

describe('rigor.yaml', () => {
  it('is either accepted with every condition compiled, or rejected with an InputError naming the file', () => {
    fc.assert(
      fc.property(config, (c) => {
        acceptedOrInputError(() => validateConfigConditions(parseConfig(stringify(c), 'rigor.yaml'), 'rigor.yaml'), 'rigor.yaml')
      }),
      {numRuns: 300},
    )
  })

  it('accepts only branch names git itself accepts', () => {
    const repo = mkdtempSync(join(tmpdir(), 'rigor-ref-'))
    try {
      fc.assert(
        fc.property(fc.oneof(fc.string({maxLength: 12}), fc.stringMatching(/^[a-z./@{-]{1,10}$/)), (name) => {
          if (branchNameProblem(name) !== undefined) return
          execFileSync('git', ['check-ref-format', '--branch', name], {cwd: repo, stdio: 'ignore'})
        }),
        {numRuns: 200},
      )
    } finally {
      rmSync(repo, {recursive: true, force: true})
    }
  })
})

describe('names and durations', () => {
  it('node ids: valid or a reason, never a crash; a valid id is a safe relative path', () => {
    fc.assert(
      fc.property(fc.oneof(idLike, fc.string()), (id) => {
        const problem = nodeIdProblem(id)
        if (problem === undefined) expect(id.split('/').every((s) => s !== '..' && s !== '' && !s.includes('\n'))).toBe(true)
      }),
    )
  })

  it('a worker name that passes cannot forge a trailer: formatted and parsed back it is the same', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({maxLength: 20}), fc.constantFrom('w\nRigor-Action: deploy', 'alice@lab', 'cycle@host', 'a b')),
        (name) => {
          if (name === '') return
          if (workerNameProblem(name) !== undefined) {
            expect(() => formatCommitMessage({action: 'claim', subject: 'x', worker: name})).toThrow()
            return
          }
          const parsed = parseTrailers(formatCommitMessage({action: 'claim', subject: 'x', worker: name, nodes: ['a/b']}))
          expect(parsed).toEqual({action: 'claim', nodes: ['a/b'], worker: name, other: {}})
        },
      ),
    )
  })

  it('a worker name made from any text (a program file name, a user name) is a valid worker name', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({maxLength: 200}), fc.string({unit: 'grapheme', maxLength: 40})),
        fc.constantFrom('', 'agent:'),
        (text, prefix) => {
          const name = workerNameFrom(text, prefix)
          expect(workerNameProblem(name)).toBeUndefined()
          if (workerNameProblem(`${prefix}${text}`) === undefined) expect(name).toBe(`${prefix}${text}`)
        },
      ),
    )
    expect(workerNameFrom('my agent', 'agent:')).toBe('agent:my_agent')
    expect(workerNameFrom('', '')).toBe('x')
  })

  it('the default seeder is the user name as a worker name; without a user entry for the uid, $USER, else the worker name', () => {
    const saved = {USER: process.env.USER, LOGNAME: process.env.LOGNAME}
    const noEntry = () => {
      throw Object.assign(new Error('A system error occurred: uv_os_get_passwd returned ENOENT'), {code: 'ERR_SYSTEM_ERROR'})
    }
    try {
      expect(defaultSeederName(() => 'John Smith')).toBe('John_Smith')
      expect(defaultSeederName(() => 'DOMAIN\\alice')).toBe('DOMAIN_alice')
      process.env.USER = 'ci'
      expect(defaultSeederName(noEntry)).toBe('ci')
      delete process.env.USER
      delete process.env.LOGNAME
      expect(workerNameProblem(defaultSeederName(noEntry))).toBeUndefined()
      expect(defaultSeederName(noEntry)).toBe(defaultWorkerName())
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
  })

  it('a date or time whose day the month does not have is no date anywhere (Date.parse would roll it into the next month)', () => {
    for (const bad of ['2026-02-30', '2025-02-29', '2025-04-31', '2025-09-31']) {
      expect(utcDateProblem(bad), bad).toContain('is not a date')
      expect(isoTimeMillis(`${bad}T10:00:00Z`), bad).toBeNaN()
      expect(parseStopTime(`${bad}T10:00:00Z`).ok, bad).toBe(false)
    }
    expect(utcDateProblem('2024-02-29')).toBeUndefined()
    expect(parseStopTime('2024-02-29T23:59:00+01:00')).toEqual({ok: true, value: new Date(Date.UTC(2024, 1, 29, 22, 59))})
    fc.assert(
      fc.property(fc.date({min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2200, 0, 1)), noInvalidDate: true}), (date) => {
        const iso = date.toISOString()
        expect(isoTimeMillis(iso)).toBe(date.getTime())
        expect(utcDateProblem(iso.slice(0, 10))).toBeUndefined()
      }),
    )
  })

  it('a time in a state file is an ISO 8601 date-time with its zone, as toISOString writes it (Date.parse reads "1" as 2001)', () => {
    for (const bad of [
      '1',
      '2025',
      '2025-01-01',
      '2025-01-01T10:00',
      '2025-01-01 10:00:00Z',
      'Tue, 01 Jan 2025 00:00:00 GMT',
      'March 7, 2025',
      '2026-02-30T10:00:00Z',
      '2025-01-01T10:00:00z',
      ' 2025-01-01T10:00:00Z',
    ])
      expect(IsoTime.safeParse(bad).success, bad).toBe(false)
    for (const good of [
      '2025-01-01T10:00:00Z',
      '2025-01-01T10:00:00.123Z',
      '2025-01-01T10:00Z',
      '2025-03-01T17:00:00+01:00',
      '2025-03-01T17:00:00-0530',
    ])
      expect(IsoTime.safeParse(good).success, good).toBe(true)
    fc.assert(
      fc.property(fc.date({min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(9999, 0, 1)), noInvalidDate: true}), (date) => {
        expect(IsoTime.safeParse(date.toISOString()).success).toBe(true)
      }),
    )
  })

  it('durations are positive and fit a timer, or are refused with a reason', () => {
    fc.assert(
      fc.property(fc.oneof(duration, fc.string()), (value) => {
        const parsed = parseDuration(value)
        if (parsed.ok) expect(parsed.value > 0 && parsed.value <= MAX_DURATION_MS).toBe(true)
        else expect(parsed.problem.length).toBeGreaterThan(0)
      }),
    )
  })
})

describe('runner outputs', () => {
  it('any verdict.json gives a validated verdict or a reason, never a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-out-'))
    try {
      const body = fc.oneof(
        fc.json(),
        fc
          .record(
            {
              metrics: fc.dictionary(fc.string({maxLength: 6}), fc.oneof(fc.double(), fc.string(), fc.constant(null))),
              status: fc.oneof(fc.constantFrom('proven_accepted', 'bogus'), fc.string()),
              notes: fc.string(),
              artifacts: fc.array(fc.oneof(fc.constantFrom('../x', '/etc/passwd', 'a.csv'), fc.string()), {maxLength: 2}),
            },
            {requiredKeys: []},
          )
          .map((v) => JSON.stringify(v)),
        fc.string(),
      )
      await fc.assert(
        fc.asyncProperty(body, async (text) => {
          writeFileSync(join(dir, 'verdict.json'), text)
          const report = await readRunnerReport(
            dir,
            {exitCode: 0, signal: null, timedOut: false, aborted: false, durationMs: 1, sandbox: 'off'},
            1000,
            DEFAULT_RUNNER_LIMITS,
          )
          if (report.ok) expect(report.verdict.metrics).toBeTypeOf('object')
          else expect(report.reason.length).toBeGreaterThan(0)
        }),
        {numRuns: 200},
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
