import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}$/)
// mostly valid ids, so that both outcomes are exercised
const id = fc.oneof(
  {weight: 4, arbitrary: fc.array(segment, {minLength: 1, maxLength: 3}).map((p) => p.join('/'))},
  {weight: 1, arbitrary: fc.constantFrom('../up', 'UPPER/x', 'a//b', 'a/out', `a/${'y'.repeat(200)}`)},
)
const spec = fc.record({
  nodes: fc.array(
    fc.record({
      id,
      team: fc.constantFrom('default', 'default', 'default', 'nosuch'),
      run: fc.record({
        command: fc.constantFrom(['true'], ['true'], [], ['echo', 'x']),
        timeout: fc.constantFrom('1m', '1m', '30d', 'soon', 5),
      }),
      params: fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.oneof(fc.integer(), fc.string({maxLength: 4})), {maxKeys: 2}),
      priority: fc.oneof({weight: 4, arbitrary: fc.integer({min: -5, max: 5})}, {weight: 1, arbitrary: fc.constant('high')}),
    }),
    {minLength: 1, maxLength: 2},
  ),
})

describe('seed specs through the CLI (property-based)', () => {
  it('each spec is either seeded whole and verifies, or refused with exit 2 naming a field and nothing written', () => {
    repo = workspace()
    let seeded = 0
    fc.assert(
      fc.property(spec, (s) => {
        const before = repo.git('rev-parse', 'main')
        writeSpec(repo.dir, stringify(s))
        const result = rigor(repo.dir, ['seed', 'spec.yaml', '--json'])
        if (result.code === 0) {
          seeded++
          for (const n of s.nodes) expect(repo.git('cat-file', '-t', `main:experiments/${n.id}/node.yaml`)).toBe('blob')
          return
        }
        expect(result.code, result.stderr).toBe(2)
        expect(result.stdout + result.stderr).toMatch(/field|spec\.yaml/)
        expect(repo.git('rev-parse', 'main')).toBe(before)
      }),
      {numRuns: 8, seed: 7},
    )
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    // the generator makes both kinds: the property was exercised on accepted specs too
    expect(seeded).toBeGreaterThan(0)
  })

  it('any verdict.json a runner writes ends in a verdict with the reason, never a crash of rigor', () => {
    repo = workspace()
    const bodies = fc.sample(
      fc.oneof(
        fc.json(),
        fc
          .record(
            {
              metrics: fc.dictionary(fc.string({maxLength: 5}), fc.oneof(fc.double(), fc.string({maxLength: 3}))),
              status: fc.constantFrom('proven_accepted', 'nonsense'),
              artifacts: fc.constantFrom([], ['../escape'], ['missing.csv']),
            },
            {requiredKeys: []},
          )
          .map((v) => JSON.stringify(v)),
        fc.string({maxLength: 40}),
      ),
      {numRuns: 10, seed: 11},
    )
    const nodes = bodies.map((body, i) => ({
      id: `runner-output/n${i}`,
      team: 'default',
      run: {
        command: [process.execPath, '-e', `require('fs').writeFileSync(process.env.RIGOR_OUT+'/verdict.json', ${JSON.stringify(body)})`],
        timeout: '1m',
      },
    }))
    writeSpec(repo.dir, {nodes})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--parallel', '2', '--json'])
    expect(work.code, work.stderr).toBe(0)
    expect(json(work).finished).toBe(bodies.length)
    for (const n of nodes) {
      const verdict = parse(repo.git('show', `main:experiments/${n.id}/verdict.yaml`)) as {status: string; reason?: string}
      expect(['proven_accepted', 'proven_rejected', 'inconclusive']).toContain(verdict.status)
      if (verdict.status === 'inconclusive') expect(verdict.reason?.length).toBeGreaterThan(0)
    }
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })
})
