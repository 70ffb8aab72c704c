import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {waitFor} from '../helpers/processes.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_CRASH, SH_OK} from '../fixtures/runners.js'
import {familiesSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const REJECT = ['sh', '-c', 'printf \'{"metrics":{"sharpe":-1.0}}\' > "$RIGOR_OUT/verdict.json"']

/** Writes rigor.yaml; rigor reads its config from the branch tip, so tests commit it before use. */
function setConfig(dir: string, yaml: string) {
  writeFileSync(join(dir, 'rigor.yaml'), yaml)
}

describe('the research DAG', () => {
  it('a spec of many full grids is refused (exit 2, naming the sweep) before it writes 100,000s of nodes', () => {
    repo = workspace()
    const values = Array.from({length: 100}, (_, i) => i)
    // 11 lines of YAML per sweep, 10,000 variants each: a small file that once made 110,011 node files
    const sweeps = Array.from({length: 11}, (_, i) => ({
      id: `big/s${i}`,
      team: 'default',
      run: {command: SH_OK},
      grid: {a: values, b: values},
    }))
    writeSpec(repo.dir, {sweeps})
    const head = repo.git('rev-parse', 'HEAD')
    const result = rigor(repo.dir, ['seed', 'spec.yaml', '--json'])
    expect(result.code, result.stdout).toBe(2)
    const error = json(result).error
    expect(error.message).toBe(
      'spec.yaml, field "sweeps[9]": the spec describes more than 100000 nodes by sweeps[9] (100010 so far); one seed adds at most 100000',
    )
    expect(error.fix).toMatch(/seed the sweeps from separate specs/)
    expect(repo.git('rev-parse', 'HEAD')).toBe(head)
  }, 120_000)

  it('an id given twice in a spec with sweeps is named where it was written (sweeps[1].id), not at a nodes[5] the spec has not', () => {
    repo = workspace()
    const run = {command: SH_OK}
    const spec = (sweeps: unknown[]) => writeSpec(repo.dir, {nodes: [{id: 'q/a', team: 'default', run}], sweeps})
    const fieldOf = () => json(rigor(repo.dir, ['seed', 'spec.yaml', '--json'])).error.message
    spec([
      {id: 'q/s', team: 'default', run, grid: {k: [1, 2, 3]}},
      {id: 'q/s/k-2', team: 'default', run, grid: {j: [1]}},
    ])
    expect(fieldOf()).toBe('spec.yaml, field "sweeps[1].id": node q/s/k-2 appears twice')
    spec([
      {id: 'q/t/k-1', team: 'default', run, grid: {j: [1]}},
      {id: 'q/t', team: 'default', run, grid: {k: [1, 2]}},
    ])
    expect(fieldOf()).toBe('spec.yaml, field "sweeps[1]": node q/t/k-1 appears twice')
    spec([{id: 'q/a', team: 'default', run, grid: {k: [1]}}])
    expect(fieldOf()).toBe('spec.yaml, field "sweeps[0].id": node q/a appears twice')
  })

  it('a spec with a YAML merge key (<<: *base) is refused with a fix that says merge keys are not read, and what to write', () => {
    repo = workspace()
    writeSpec(repo.dir, 'nodes:\n  - &base {id: m/a, team: default, run: {command: [x]}}\n  - <<: *base\n    id: m/b\n')
    const result = rigor(repo.dir, ['seed', 'spec.yaml', '--json'])
    expect(result.code, result.stdout).toBe(2)
    expect(json(result).error.message).toContain('field "nodes[1].<<": Unrecognized key: "<<"')
    expect(json(result).error.fix).toMatch(/^YAML merge keys \(<<: \*anchor\) are not read: write the fields out, or anchor a whole value/)
  })

  it('a grid sweep of 3 x 4 values creates 12 variants named from their params; seeding again creates 0', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      sweeps: [
        {
          id: 'arch/hidden',
          team: 'default',
          run: {command: SH_OK},
          params: {period: 14},
          grid: {lower: [25, 30, 35], upper: [70, 72.5, 75, 80]},
        },
      ],
    })
    const first = json(rigor(repo.dir, ['seed', 'spec.yaml', '--json']))
    expect(first.added).toHaveLength(12)
    expect(first.sweeps).toEqual(['arch/hidden'])
    expect(first.added).toContain('arch/hidden/lower-25-upper-70')
    expect(first.added).toContain('arch/hidden/lower-35-upper-72p5')
    const shown = json(rigor(repo.dir, ['show', 'arch/hidden/lower-30-upper-75', '--json']))
    expect(shown.params).toEqual({period: 14, lower: 30, upper: 75})
    expect(shown.parent).toBe('arch/hidden')
    const again = json(rigor(repo.dir, ['seed', 'spec.yaml', '--json']))
    expect(again.added).toHaveLength(0)
    expect(json(rigor(repo.dir, ['status', '--json']))).toMatchObject({total: 12, sweeps: 1})
    const work = json(rigor(repo.dir, ['work', '--parallel', '2', '--json']))
    expect(work.finished).toBe(12)
    const graph = rigor(repo.dir, ['graph']).stdout
    expect(graph).toContain('flowchart LR')
    expect(graph).toContain('sweep: 12 variants<br/>12 accepted')
    expect(rigor(repo.dir, ['graph', '--expand']).stdout).toContain('lower-25-upper-70')
    // a mermaid fence around dot would draw an error on GitHub: refused, not ignored
    const fenced = rigor(repo.dir, ['graph', '--format', 'dot', '--markdown', '--json'])
    expect(fenced.code).toBe(2)
    expect(json(fenced).error.message).toMatch(/^field "--markdown": /)
  })

  it('a team with waits_for starts only after its trunk is accepted; a node whose requirement is rejected ends blocked', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams:
  - name: arch
  - name: universe
    waits_for: "nodes.exists(n, n.team == 'arch' && n.status == 'proven_accepted')"
gates:
  - name: g
    reject_when: "metrics.sharpe < 0.0"
    accept_when: "metrics.sharpe >= 0.3"
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'universe/wide', team: 'universe', run: {command: SH_OK}, priority: 10},
        {id: 'arch/trunk', team: 'arch', run: {command: SH_OK}},
        {id: 'arch/bad', team: 'arch', run: {command: REJECT}},
        {id: 'arch/after-bad', team: 'arch', run: {command: SH_OK}, requires: ['arch/bad']},
        {id: 'arch/after-after', team: 'arch', run: {command: SH_OK}, requires: ['arch/after-bad']},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    // universe has the highest priority but must wait
    const first = rigor(repo.dir, ['claim', '--json'])
    expect(json(first).claimed.id).toBe('arch/trunk')
    const onlyUniverse = rigor(repo.dir, ['claim', '--team', 'universe', '--json'])
    expect(onlyUniverse.code).toBe(3)
    expect(json(onlyUniverse).error.message).toContain('blocked')
    expect(json(onlyUniverse).error.message).toContain('waits for')
    rigor(repo.dir, ['run', 'arch/trunk'])
    expect(json(rigor(repo.dir, ['claim', '--team', 'universe', '--json'])).claimed.id).toBe('universe/wide')
    rigor(repo.dir, ['run', 'universe/wide'])
    rigor(repo.dir, ['work'])
    const bad = json(rigor(repo.dir, ['show', 'arch/after-bad', '--json']))
    expect(bad.status).toBe('blocked')
    expect(bad.reason).toContain('arch/bad ended proven_rejected')
    expect(json(rigor(repo.dir, ['show', 'arch/after-after', '--json'])).status).toBe('blocked')
  })

  it('a bad condition in rigor.yaml fails at load, naming the rule and the position', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1\nrules:\n  - name: broken\n    on: [proven_rejected]\n    when: "metrics.sharpe >"\n    spawn: [{as: child, name: x, params: {a: 1}}]\n`,
    )
    repo.git('commit', '-qam', 'broken config')
    const result = rigor(repo.dir, ['status'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('rules[0].when')
    expect(result.stderr).toContain('broken')
    expect(result.stderr).toMatch(/line 1|column|position/)
  })

  it('the inconclusive cascade terminates: rules never fire on tool failures, and max_generations caps a growing chain', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams: [{name: default}]
gates:
  - name: g
    reject_when: "metrics.sharpe < 0.0"
    accept_when: "metrics.sharpe >= 0.3"
rules:
  - name: retry-on-failure
    on: [inconclusive, proven_rejected]
    when: "status == 'inconclusive'"
    spawn: [{as: child, name: retry, params: {retry: true}}]
  - name: widen
    on: [proven_rejected]
    spawn:
      - {as: child, name: a, params: {a: 1}}
      - {as: child, name: b, params: {b: 1}}
      - {as: child, name: c, params: {c: 1}}
max_generations: 2
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'tool/broken', team: 'default', run: {command: SH_CRASH}},
        {id: 'idea/weak', team: 'default', run: {command: REJECT}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const work = json(rigor(repo.dir, ['work', '--parallel', '2', '--json']))
    // idea/weak, 3 children, then the 3 distinct pairs; the crash spawns nothing
    expect(work.finished).toBe(2 + 3 + 3)
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(8)
    // which of a and b finishes first names their pair (a/b, or b/a) under --parallel 2
    expect(['a/b', 'b/a'].some((pair) => existsSync(join(repo.dir, `experiments/idea/weak/${pair}/node.yaml`)))).toBe(true)
    expect(existsSync(join(repo.dir, 'experiments/tool/broken/retry'))).toBe(false)
    const check = json(rigor(repo.dir, ['rules', 'check', '--json']))
    expect(check.spawned).toEqual([])
    const reasons = check.decisions.map((d: any) => `${d.id}: ${d.skipped}`)
    expect(reasons).toContain('tool/broken/retry: rules never fire on inconclusive verdicts')
    expect(reasons.some((r: string) => /^idea\/weak\/[abc]\/[abc]\/[abc]: /.test(r) && r.includes('past max_generations 2'))).toBe(true)
    expect(reasons.some((r: string) => /same command, params and data as idea\/weak\/[abc]\/[abc]\b/.test(r))).toBe(true)
    expect(json(rigor(repo.dir, ['rules', 'replay', '--json'])).spawned).toEqual([])
  })

  it('a rule whose matches() backtracks catastrophically on a param decides at once, not after hours inside the verdict', async () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams: [{name: default}]
gates: [{name: g, accept_when: "metrics.sharpe >= 0.3"}]
rules:
  - name: letters
    on: [proven_accepted]
    when: "params.name.matches('^(a+)+$')"
    spawn: [{as: child, name: more, params: {more: true}}]
`,
    )
    repo.git('commit', '-qam', 'config')
    const run = {command: ['sh', '-c', 'printf \'{"metrics":{"sharpe":1.0}}\' > "$RIGOR_OUT/verdict.json"']}
    writeSpec(repo.dir, {
      nodes: [
        // with JavaScript's backtracking engine, 40 letters and a "!" take 2^40 steps (the pattern is RE2 in CEL: linear)
        {id: 'm/long', team: 'default', run, params: {name: `${'a'.repeat(40)}!`}},
        {id: 'm/short', team: 'default', run, params: {name: 'aaa'}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const work = rigorAsync(repo.dir, ['work', '--json'])
    let done: Awaited<typeof work> | undefined
    void work.then((r) => (done = r))
    try {
      await waitFor('rigor work to finish', () => done !== undefined)
    } finally {
      work.kill('SIGKILL')
    }
    expect(done!.code, done!.stderr).toBe(0)
    expect(json(done!).finished).toBe(3)
    expect(json(rigor(repo.dir, ['show', 'm/short/more', '--json'])).params).toEqual({name: 'aaa', more: true})
    const check = json(rigor(repo.dir, ['rules', 'check', '--json']))
    expect(check.decisions).toContainEqual({
      rule: 'letters',
      from: 'm/long',
      id: 'm/long/more',
      skipped: "when is false: params.name.matches('^(a+)+$')",
    })
  }, 180_000)

  it("the ping-pong cycle terminates: two rules spawning each other's parameters stop at the fingerprint", () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams: [{name: default}]
gates: [{name: g, reject_when: "metrics.sharpe < 0.0"}]
rules:
  - name: ping
    on: [proven_rejected]
    when: "params.dropout == 0.1"
    spawn: [{as: sibling, name: ping, params: {dropout: 0.3}}]
  - name: pong
    on: [proven_rejected]
    when: "params.dropout == 0.3"
    spawn: [{as: sibling, name: pong, params: {dropout: 0.1}}]
max_generations: 10
`,
    )
    repo.git('commit', '-qam', 'config')
    writeSpec(repo.dir, {nodes: [{id: 'loss/base', team: 'default', run: {command: REJECT}, params: {dropout: 0.1}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const work = json(rigor(repo.dir, ['work', '--json']))
    expect(work.finished).toBe(2)
    const check = json(rigor(repo.dir, ['rules', 'check', '--json']))
    const skipped = check.decisions.filter((d: any) => d.skipped)
    expect(skipped.some((d: any) => d.skipped.includes('same command, params and data as loss/base'))).toBe(true)
    expect(check.spawned).toEqual([])
  })

  it('replays the rules over finished nodes in the same order under every locale (ties by id in code-unit order)', () => {
    repo = workspace()
    setConfig(
      repo.dir,
      `version: 1
teams: [{name: default}]
gates: [{name: g, reject_when: "metrics.sharpe < 0.0"}]
rules:
  - name: retry
    on: [proven_rejected]
    spawn: [{as: child, name: again, params: {again: true}}]
max_generations: 1
`,
    )
    repo.git('commit', '-qam', 'config')
    // one seed: the same created_at, so the id decides (da_DK sorts "aa" after "ab")
    writeSpec(repo.dir, {nodes: ['t/ab', 't/aa', 't/a-b'].map((id, k) => ({id, team: 'default', run: {command: REJECT}, params: {k}}))})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(json(rigor(repo.dir, ['work', '--json'])).finished).toBe(6)
    for (const locale of ['C.UTF-8', 'da_DK.UTF-8']) {
      const check = json(rigor(repo.dir, ['rules', 'check', '--json'], {LANG: locale, LC_ALL: locale}))
      const sources = check.decisions.map((d: any) => d.from).filter((from: string) => from.split('/').length === 2)
      expect(sources, locale).toEqual(['t/a-b', 't/aa', 't/ab'])
    }
  })

  it('graph warns when its mermaid is more than mermaid draws (50,000 characters, 500 edges), and says what to draw instead; a smaller one draws silently', () => {
    repo = workspace()
    writeSpec(repo.dir, familiesSpec(20, 20, SH_OK))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const large = rigor(repo.dir, ['graph', '--markdown'])
    expect(large.code, large.stderr).toBe(0)
    expect(large.stdout.length).toBeGreaterThan(50_000)
    // oclif wraps a warning at the terminal's width, each line behind a ›
    const warning = large.stderr.replace(/\s*\n\s*›\s+/g, ' ')
    expect(warning).toMatch(/this graph \([\d,]+ characters, 400 edges\) is more than mermaid draws/)
    expect(warning).toMatch(/--root <id>/)
    const one = rigor(repo.dir, ['graph', '--root', 'momentum/family-3'])
    expect(one.code).toBe(0)
    expect(one.stdout).toContain('variant-19')
    expect(one.stderr).not.toMatch(/mermaid draws/)
    expect(rigor(repo.dir, ['graph', '--format', 'dot']).stderr).not.toMatch(/mermaid draws/)
  })
})
