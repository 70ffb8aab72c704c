import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

const FAKE_AGENT = resolve(__dirname, '../fixtures/fake-agent.mjs')
let repo: TempRepo
afterEach(() => repo?.cleanup())

function configWithAgent(dir: string) {
  writeFileSync(
    join(dir, 'rigor.yaml'),
    `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]\nagent: {command: [node, ${JSON.stringify(FAKE_AGENT)}]}\n`,
  )
}

/** An agent program (a shell script in the repository's git directory) as rigor.yaml's only setting beside the team, committed. */
function shellAgent(name: string, script: string, message: string): string {
  const program = join(repo.dir, '.git', name)
  writeFileSync(program, script)
  chmodSync(program, 0o755)
  writeFileSync(join(repo.dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\nagent: {command: [${JSON.stringify(program)}]}\n`)
  repo.git('commit', '-qam', message)
  return program
}

describe('agent steps', () => {
  it('design: retries a failing agent, seeds the valid specs with designed_by, reports the invalid ones with the field', () => {
    repo = workspace()
    configWithAgent(repo.dir)
    repo.git('commit', '-qam', 'agent')
    const counter = join(repo.dir, '.git', 'agent-calls')
    const result = rigor(repo.dir, ['design', '--count', '4', '--json'], {FAKE_AGENT_COUNTER: counter, FAKE_AGENT_FAILURES: '2'})
    expect(result.code, result.stderr).toBe(0)
    const design = json(result)
    expect(design.attempts).toBe(3)
    expect(design.seeded).toEqual(['agent/idea-one', 'agent/idea-two'])
    expect(design.invalid.map((i: any) => i.field)).toEqual(['nodes[2].id', 'nodes[3].run'])
    expect(json(rigor(repo.dir, ['show', 'agent/idea-one', '--json'])).designed_by).toBe('agent:node')
    // the retries are in the log
    const log = rigor(repo.dir, ['log', '--action', 'design', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(log[0].trailers.attempts).toBe('3')
    expect(Number(log[0].trailers['cost-usd'])).toBeCloseTo(0.03)
    // designs run like any node; assess appends to learnings.md
    expect(json(rigor(repo.dir, ['work', '--json'])).finished).toBe(2)
    const assess = json(rigor(repo.dir, ['assess', 'agent/idea-one', '--json'], {FAKE_AGENT_COUNTER: counter}))
    expect(assess.assessment).toContain('edge looks real')
    expect(readFileSync(join(repo.dir, 'learnings.md'), 'utf8')).toContain('## agent/idea-one')
    // the next prompt carries what was learned
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it('an agent program whose file name holds a space is recorded as a worker name (design and assess commit)', () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'my agent')
    writeFileSync(program, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_AGENT)} "$@"\n`)
    chmodSync(program, 0o755)
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]\nagent: {command: [${JSON.stringify(program)}]}\n`,
    )
    repo.git('commit', '-qam', 'agent')
    const counter = join(repo.dir, '.git', 'agent-calls')
    const design = rigor(repo.dir, ['design', '--count', '2', '--json'], {FAKE_AGENT_COUNTER: counter})
    expect(design.code, design.stderr).toBe(0)
    expect(json(design).seeded).toEqual(['agent/idea-one', 'agent/idea-two'])
    expect(json(rigor(repo.dir, ['show', 'agent/idea-one', '--json'])).designed_by).toBe('agent:my_agent')
    expect(repo.git('log', '-1', '--format=%B')).toContain('Rigor-Worker: agent:my_agent')
    expect(json(rigor(repo.dir, ['work', '--json'])).finished).toBe(2)
    const assess = rigor(repo.dir, ['assess', 'agent/idea-one', '--json'], {FAKE_AGENT_COUNTER: counter})
    expect(assess.code, assess.stderr).toBe(0)
    expect(repo.git('log', '-1', '--format=%B')).toContain('Rigor-Worker: agent:my_agent')
  })

  it('design without an agent: the built-in designer refines the best accepted nodes, offline', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'm/base',
          team: 'default',
          run: {command: ['sh', '-c', 'printf \'{"metrics":{"sharpe":1.0}}\' > "$RIGOR_OUT/verdict.json"']},
          // the costs it assumes are not the strategy: a refinement never lowers (or raises) them
          params: {lookback: 40, cost_bps: 5, feeRate: 0.001, slippage_bps: 2},
        },
        // accepted with no Sharpe to judge a refinement by: not refined
        {
          id: 'm/no-sharpe',
          team: 'default',
          run: {command: ['sh', '-c', 'printf \'{"metrics":{"accuracy":0.7}}\' > "$RIGOR_OUT/verdict.json"']},
          params: {window: 20},
        },
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const design = json(rigor(repo.dir, ['design', '--json']))
    expect(design.designer).toBe('rigor:refine')
    expect(design.seeded.sort()).toEqual(['m/base/lookback-30', 'm/base/lookback-50'])
    expect(json(rigor(repo.dir, ['design', '--json'])).seeded).toEqual([])
    const assess = json(rigor(repo.dir, ['assess', 'm/base', '--json']))
    expect(assess.assessor).toBe('rigor:rules-of-thumb')
    // asked again, rigor's own assessment would repeat itself: nothing to do (exit 3), learnings.md as it was
    const learnings = repo.git('show', 'main:learnings.md')
    const again = rigor(repo.dir, ['assess', 'm/base', '--json'])
    expect(again.code, again.stdout).toBe(3)
    expect(json(again).error.message).toBe('learnings.md already holds this assessment of m/base')
    expect(repo.git('show', 'main:learnings.md')).toBe(learnings)
  })

  it('design: an answer that holds no nodes: list is exit 2 saying so, not "seeded 0"; the call is still on record; its sweeps: are reported as not seeded', () => {
    repo = workspace()
    shellAgent('prose-agent', '#!/bin/sh\ncat >/dev/null\nprintf "%s\\n" "$ANSWER"\necho \'RIGOR_COST {"usd": 0.02}\' >&2\n', 'agent')
    for (const [answer, why] of [
      ['Sure! Try a momentum strategy with a longer lookback.', 'it is text'],
      ['```yaml\nnodes: not a list\n```', 'its nodes: is a string, not a list'],
      ['- {id: a/one, team: default, run: {command: ["true"]}}', 'it is a bare list'],
      ['ideas: [momentum]', 'it has no nodes: key'],
      [
        'sweeps: [{id: a/sweep, team: default, run: {command: ["true"]}, grid: {n: [1, 2]}}]',
        'it has sweeps: and no nodes: key (rigor design seeds nodes: only; write each variant as a node)',
      ],
    ]) {
      const before = repo.git('rev-parse', 'HEAD')
      const result = rigor(repo.dir, ['design', '--json'], {ANSWER: answer})
      expect(result.code, result.stdout).toBe(2)
      expect(json(result).error.message).toBe(`agent answer, field "nodes": the agent's answer holds no seed spec: ${why}`)
      expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(0)
      // one commit: the call's record, with what it cost
      expect(repo.git('rev-parse', 'HEAD~1')).toBe(before)
      expect(repo.git('log', '-1', '--format=%B')).toContain('Rigor-Cost-Usd: 0.02')
    }
    const broken = rigor(repo.dir, ['design', '--json'], {ANSWER: '```yaml\nnodes: [\n```'})
    expect(broken.code, broken.stdout).toBe(2)
    expect(json(broken).error.message).toMatch(/^agent answer: the agent's answer is not YAML: invalid YAML/)
    // an explicit empty list is an answer: nothing to propose
    const empty = rigor(repo.dir, ['design', '--json'], {ANSWER: 'nodes: []'})
    expect(empty.code, empty.stderr).toBe(0)
    expect(json(empty).seeded).toEqual([])
    // sweeps: beside nodes: are not seeded, and said so (not dropped without a word)
    const withSweeps = rigor(repo.dir, ['design', '--json'], {
      ANSWER: [
        'nodes: [{id: a/one, team: default, run: {command: ["true"]}}]',
        'sweeps:',
        '  - {id: a/grid, team: default, run: {command: ["true"]}, grid: {n: [1, 2, 3]}}',
        '  - not even a sweep',
      ].join('\n'),
    })
    expect(withSweeps.code, withSweeps.stderr).toBe(0)
    const sweepsNotSeeded =
      'not seeded: rigor design seeds nodes: only, the nodes the prompt asks for; write each variant of the sweep as a node'
    expect(json(withSweeps).seeded).toEqual(['a/one'])
    expect(json(withSweeps).invalid).toEqual([
      {index: 0, field: 'sweeps[0]', message: sweepsNotSeeded},
      {index: 1, field: 'sweeps[1]', message: sweepsNotSeeded},
    ])
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(1)
    const told = rigor(repo.dir, ['design'], {ANSWER: 'nodes: []\nsweeps: [{id: a/grid2}]'})
    expect(told.code, told.stderr).toBe(0)
    expect(told.stdout).toContain(`invalid: sweeps[0]: ${sweepsNotSeeded}`)
  })

  it('an agent that always fails is reported after the retries, and nothing is seeded', () => {
    repo = workspace()
    configWithAgent(repo.dir)
    repo.git('commit', '-qam', 'agent')
    const before = repo.git('rev-parse', 'HEAD')
    const result = rigor(repo.dir, ['design'], {FAKE_AGENT_FAILURES: '99', FAKE_AGENT_COUNTER: join(repo.dir, '.git', 'n')})
    expect(result.code).toBe(1)
    expect(result.stderr.replace(/\s+›?\s*/g, ' ')).toContain('failed 3 times')
    // nothing seeded; the failed call is on record with what it cost
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(0)
    expect(repo.git('rev-parse', 'HEAD~1')).toBe(before)
    expect(repo.git('log', '-1', '--format=%B')).toContain('Rigor-Attempts: 3')
  })

  it('cycle --design-count has the limit of design --count: exit 2 before the cycle starts, not a prompt asking for 100000 nodes', () => {
    repo = workspace()
    for (const args of [
      ['design', '--count', '101', '--json'],
      ['cycle', '--design-count', '101', '--json'],
    ]) {
      const result = rigor(repo.dir, args)
      expect(result.code, result.stdout).toBe(2)
      expect(json(result).error.message).toBe(`field "${args[1]}": must be at most 100, got 101`)
    }
    expect(existsSync(join(repo.dir, '.git', 'rigor', 'cycle.json'))).toBe(false)
  })

  it('assess of a sweep group says it never runs and names its variants, not "run it first"', () => {
    repo = workspace()
    writeSpec(repo.dir, {sweeps: [{id: 's/grid', team: 'default', run: {command: ['true']}, grid: {n: [1, 2]}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const result = rigor(repo.dir, ['assess', 's/grid', '--json'])
    expect(result.code, result.stdout).toBe(2)
    expect(json(result).error).toMatchObject({
      message: 's/grid is a sweep group, which never runs and has no verdict',
      fix: 'assess one of its variants: s/grid/n-1, s/grid/n-2 (rigor show s/grid lists all 2)',
    })
  })

  // "run it first (rigor work)" for every node without a verdict: work never runs a cancelled or blocked node
  it('assess of a node with no verdict says what to do for its status', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'a/held', team: 'default', run: {command: ['true']}},
        {id: 'a/up', team: 'default', run: {command: ['true']}},
        {id: 'a/down', team: 'default', run: {command: ['true']}, requires: ['a/up']},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const fixOf = (id: string) => {
      const result = rigor(repo.dir, ['assess', id, '--json'])
      expect(result.code, result.stdout).toBe(2)
      return json(result).error as {message: string; fix: string}
    }
    expect(fixOf('a/up')).toMatchObject({
      message: 'node a/up has no verdict yet',
      fix: 'run it first (rigor work, or rigor run a/up), then assess it',
    })
    expect(rigor(repo.dir, ['claim', '--worker', 'w1']).stdout.trim()).toBe('a/held')
    expect(fixOf('a/held').fix).toBe('wait for its verdict (rigor show a/held), then assess it')
    expect(rigor(repo.dir, ['cancel', 'a/up']).code).toBe(0)
    expect(fixOf('a/up')).toMatchObject({
      message: 'node a/up has no verdict: it was cancelled before it ran',
      fix: 'there is nothing to assess; rigor rerun a/up puts it back to pending, to run it',
    })
    expect(fixOf('a/down').message).toBe('node a/down has no verdict: it was blocked before it ran')
  })

  it('design: a node the seed refuses (unknown team, missing upstream, an id twice) is reported with its field; the others are seeded', () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'sloppy-agent')
    const answer = [
      '```yaml',
      'nodes:',
      '  - {id: g/ghost, team: ghost, run: {command: ["true"]}}',
      '  - {id: g/fine, team: default, run: {command: ["true"]}}',
      '  - {id: g/req, team: default, run: {command: ["true"]}, requires: [no/such]}',
      '  - {id: g/fine, team: default, run: {command: ["false"]}}',
      '  - {id: g/also, team: default, run: {command: ["true"]}, requires: [g/fine]}',
      '```',
    ].join('\n')
    writeFileSync(program, `#!/bin/sh\ncat >/dev/null\ncat <<'EOF'\n${answer}\nEOF\n`)
    chmodSync(program, 0o755)
    writeFileSync(join(repo.dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\nagent: {command: [${JSON.stringify(program)}]}\n`)
    repo.git('commit', '-qam', 'agent')
    const result = rigor(repo.dir, ['design', '--json'])
    expect(result.code, result.stdout).toBe(0)
    const design = json(result)
    expect(design.seeded).toEqual(['g/fine', 'g/also'])
    expect(design.invalid).toEqual([
      {index: 0, field: 'nodes[0].team', message: 'team "ghost" of g/ghost is not in rigor.yaml (at main)'},
      {index: 2, field: 'nodes[2].requires', message: 'g/req requires no/such, which is neither in the spec nor in the DAG'},
      {index: 3, field: 'nodes[3].id', message: 'node g/fine appears twice'},
    ])
    expect(json(rigor(repo.dir, ['show', 'g/fine', '--json'])).run.command).toEqual(['true'])
  })

  it('design: an agent that answers with more nodes than --count asked for has the first ones seeded, the rest reported, not thousands', () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'eager-agent')
    const lines = Array.from({length: 40}, (_, i) => `  - {id: g/n${i}, team: default, run: {command: ["true"]}, params: {i: ${i}}}`)
    // one the schema refuses does not use up the count
    lines.splice(1, 0, '  - {id: G/Bad, team: default, run: {command: ["true"]}}')
    writeFileSync(program, `#!/bin/sh\ncat >/dev/null\ncat <<'EOF'\n\`\`\`yaml\nnodes:\n${lines.join('\n')}\n\`\`\`\nEOF\n`)
    chmodSync(program, 0o755)
    writeFileSync(join(repo.dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\nagent: {command: [${JSON.stringify(program)}]}\n`)
    repo.git('commit', '-qam', 'agent')
    const result = rigor(repo.dir, ['design', '--count', '3', '--json'])
    expect(result.code, result.stdout).toBe(0)
    const design = json(result)
    expect(design.seeded).toEqual(['g/n0', 'g/n1', 'g/n2'])
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(3)
    expect(design.invalid[0].field).toBe('nodes[1].id')
    expect(design.invalid.slice(1)).toHaveLength(37)
    expect(design.invalid[1]).toEqual({index: 4, field: 'nodes[4]', message: 'not seeded: more nodes than the 3 asked for (--count)'})
  })

  it('design without an agent moves a negative whole param 25% down and up with its sign, not to 1', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'm/shifted',
          team: 'default',
          run: {command: ['sh', '-c', 'printf \'{"metrics":{"sharpe":1.0}}\' > "$RIGOR_OUT/verdict.json"']},
          params: {shift: -8},
        },
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const design = json(rigor(repo.dir, ['design', '--json']))
    expect(design.seeded.sort()).toEqual(['m/shifted/shift-m10', 'm/shifted/shift-m6'])
    expect(json(rigor(repo.dir, ['show', 'm/shifted/shift-m6', '--json'])).params).toEqual({shift: -6})
  })

  it('design without an agent skips a node too deep to refine (16 levels) and refines the next, not a ZodError crash', () => {
    repo = workspace()
    const run = (sharpe: number) => ({
      command: ['sh', '-c', `printf '{"metrics":{"sharpe":${sharpe}}}' > "$RIGOR_OUT/verdict.json"`],
    })
    const deep = Array.from({length: 16}, () => 'd').join('/')
    writeSpec(repo.dir, {
      nodes: [
        {id: deep, team: 'default', run: run(2), params: {lookback: 40}},
        {id: 'm/shallow', team: 'default', run: run(1), params: {lookback: 40}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const design = rigor(repo.dir, ['design', '--json'])
    expect(design.code, design.stdout).toBe(0)
    expect(json(design).seeded.sort()).toEqual(['m/shallow/lookback-30', 'm/shallow/lookback-50'])
  })

  it('design without an agent: two params whose names differ only in punctuation do not make it propose one id twice', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'm/twins',
          team: 'default',
          run: {command: ['sh', '-c', 'printf \'{"metrics":{"sharpe":1.0}}\' > "$RIGOR_OUT/verdict.json"']},
          params: {'look-back': 40, look_back: 40},
        },
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const design = rigor(repo.dir, ['design', '--json'])
    expect(design.code, design.stdout).toBe(0)
    expect(json(design).seeded.sort()).toEqual(['m/twins/look_back-30', 'm/twins/look_back-50'])
  })

  it('learnings.md that grew for months reaches the design prompt as its newest entries only; a runaway assessment is cut', () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'recording-agent')
    const prompt = join(repo.dir, '.git', 'prompt.txt')
    // design: records the prompt, proposes nothing; assess: answers 20000 characters
    writeFileSync(
      program,
      `#!/bin/sh\ncat > ${JSON.stringify(prompt)}\nif grep -q 'Judge this' ${JSON.stringify(prompt)}; then head -c 20000 /dev/zero | tr '\\000' x; echo; else echo 'nodes: []'; fi\n`,
    )
    chmodSync(program, 0o755)
    writeFileSync(join(repo.dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\nagent: {command: [${JSON.stringify(program)}]}\n`)
    const entries = Array.from({length: 200}, (_, i) => `## old/node-${i} (2020-01-01, agent:x)\n\n${'a lesson. '.repeat(100)}\n`)
    writeFileSync(join(repo.dir, 'learnings.md'), `# Learnings\n${entries.join('\n')}`)
    repo.git('add', 'learnings.md')
    repo.git('commit', '-qam', 'agent, and a long history of learnings')
    expect(rigor(repo.dir, ['design']).code).toBe(0)
    const sent = readFileSync(prompt, 'utf8')
    expect(sent.length).toBeLessThan(40_000)
    expect(sent).toContain('## old/node-199 (')
    expect(sent).not.toContain('## old/node-0 (')
    expect(sent).toContain('(earlier learnings left out: all of them are in learnings.md)')

    writeSpec(repo.dir, {
      nodes: [{id: 'm/one', team: 'default', run: {command: ['sh', '-c', 'printf \'{"metrics":{}}\' > "$RIGOR_OUT/verdict.json"']}}],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const assess = rigor(repo.dir, ['assess', 'm/one', '--json'])
    expect(assess.code, assess.stderr).toBe(0)
    expect(json(assess).assessment).toMatch(/^x{8192}\n\n\(cut: the agent answered 20000 characters\)$/)
    const learnings = readFileSync(join(repo.dir, 'learnings.md'), 'utf8')
    expect(learnings.slice(learnings.indexOf('## m/one')).length).toBeLessThan(9000)
  })

  it('an agent that reports no cost, under a daily budget that holds $0 for a call, is warned about: the budget would never stop it', () => {
    repo = workspace()
    const config = (budget: string) =>
      `version: 1\nteams: [{name: default}]\nbudget: ${budget}\nagent: {command: [node, ${JSON.stringify(FAKE_AGENT)}]}\n`
    writeFileSync(join(repo.dir, 'rigor.yaml'), config('{daily_usd: 0.01}'))
    repo.git('commit', '-qam', 'a budget that holds nothing for an agent call')
    const warned = rigor(repo.dir, ['design', '--json'], {FAKE_AGENT_COST_LINE: 'none'})
    expect(warned.code, warned.stderr).toBe(0)
    expect(warned.stderr.replace(/\s+›?\s*/g, ' ')).toContain(
      'budget: holds $0 for an agent call, so the call counts $0 against budget.daily_usd; set budget.reserve_per_agent_call_usd',
    )
    writeFileSync(join(repo.dir, 'rigor.yaml'), config('{daily_usd: 5, reserve_per_agent_call_usd: 0.5}'))
    repo.git('commit', '-qam', 'a reservation')
    const held = rigor(repo.dir, ['design', '--json'], {FAKE_AGENT_COST_LINE: 'none'})
    expect(held.code, held.stderr).toBe(0)
    expect(held.stderr).not.toContain('holds $0')
  })
  it('an agent that exits non-zero is reported by the last line it said on stderr, never its RIGOR_COST line, and by its exit code alone when it said nothing', () => {
    repo = workspace()
    const program = shellAgent('failing-agent', '#!/bin/sh\ncat >/dev/null\nprintf "%s" "$SAY" >&2\nexit 3\n', 'a failing agent')
    const said = rigor(repo.dir, ['design', '--json'], {SAY: 'rate limited\nRIGOR_COST {"usd": 0.01}\n'})
    expect(said.code, said.stdout).toBe(1)
    expect(json(said).error.message).toBe(
      `the agent ${program} failed 3 times: exited with code 3: rate limited; exited with code 3: rate limited; exited with code 3: rate limited`,
    )
    const silent = rigor(repo.dir, ['design', '--json'], {SAY: ''})
    expect(silent.code, silent.stdout).toBe(1)
    expect(json(silent).error.message).toBe(
      `the agent ${program} failed 3 times: exited with code 3; exited with code 3; exited with code 3`,
    )
  })

  it('an agent that prints a RIGOR_COST line rigor cannot read is told so, with the line it should print; one that prints none is not', () => {
    repo = workspace()
    configWithAgent(repo.dir)
    repo.git('commit', '-qam', 'agent')
    const negative = rigor(repo.dir, ['design', '--count', '1', '--json'], {FAKE_AGENT_COST_LINE: '{"usd": -5}'})
    expect(negative.code, negative.stderr).toBe(0)
    const warning = negative.stderr.replace(/\s+›?\s*/g, ' ')
    expect(warning).toContain(
      'the agent printed a RIGOR_COST line rigor cannot read (attempt 1: RIGOR_COST usd: Too small: expected number to be >=0: counted as the $0.0000 the budget held)',
    )
    expect(warning).toContain('print its cost on stderr as RIGOR_COST {"usd": 0.01, "tokens_in": 900, "tokens_out": 300}')
    expect(json(rigor(repo.dir, ['work', '--json'])).finished).toBe(1)
    const prose = rigor(repo.dir, ['assess', 'agent/idea-one', '--json'], {FAKE_AGENT_COST_LINE: 'about one cent'})
    expect(prose.code, prose.stderr).toBe(0)
    expect(prose.stderr.replace(/\s+›?\s*/g, ' ')).toContain('rigor cannot read (attempt 1: RIGOR_COST line is not JSON')
    const none = rigor(repo.dir, ['design', '--count', '1', '--json'], {FAKE_AGENT_COST_LINE: 'none'})
    expect(none.code, none.stderr).toBe(0)
    expect(none.stderr).not.toContain('RIGOR_COST')
    // a line meant as the cost in another shape than `RIGOR_COST <json>` is said to be unread, not taken for no line
    shellAgent(
      'colon-agent',
      '#!/bin/sh\ncat >/dev/null\necho \'RIGOR_COST: {"usd": 0.01}\' >&2\necho "nodes: []"\n',
      'an agent that prints its cost after a colon',
    )
    const colon = rigor(repo.dir, ['design', '--json'])
    expect(colon.code, colon.stderr).toBe(0)
    expect(colon.stderr.replace(/\s+›?\s*/g, ' ')).toContain(
      'rigor cannot read (attempt 1: RIGOR_COST is not followed by a space and the JSON: counted as the $0.0000 the budget held)',
    )
  })

  it('design: a proposed node with a field a seed node has not (status:, designed_by:) is reported at nodes[i], not nodes[i].(top level)', () => {
    repo = workspace()
    shellAgent('prose-agent', '#!/bin/sh\ncat >/dev/null\nprintf "%s\\n" "$ANSWER"\n', 'agent')
    const result = rigor(repo.dir, ['design', '--json'], {
      ANSWER: 'nodes: [{id: a/one, team: default, run: {command: ["true"]}, status: proven_accepted, designed_by: "human:alice"}]',
    })
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).seeded).toEqual([])
    expect(json(result).invalid).toEqual([{index: 0, field: 'nodes[0]', message: 'Unrecognized keys: "status", "designed_by"'}])
  })
  it('design: an answer that also writes gates: or budget: is told they were not read; rigor.yaml is unchanged', () => {
    repo = workspace()
    shellAgent('prose-agent', '#!/bin/sh\ncat >/dev/null\nprintf "%s\\n" "$ANSWER"\n', 'agent')
    const config = repo.git('show', 'main:rigor.yaml')
    const ANSWER = [
      'gates: [{name: open, accept_when: "true"}]',
      'nodes: [{id: a/one, team: default, run: {command: ["true"]}}]',
      'budget: {daily_usd: 1000000}',
      'sweeps: [{id: a/grid}]',
    ].join('\n')
    const result = rigor(repo.dir, ['design', '--json'], {ANSWER})
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).seeded).toEqual(['a/one'])
    const notRead = 'not read: an answer holds nodes: only; gates, rules and the budget are rigor.yaml, which only a commit changes'
    expect(json(result).invalid.map((i: any) => [i.field, i.message.slice(0, 9)])).toEqual([
      ['sweeps[0]', 'not seede'],
      ['gates', 'not read:'],
      ['budget', 'not read:'],
    ])
    expect(json(result).invalid[1].message).toBe(notRead)
    expect(repo.git('show', 'main:rigor.yaml')).toBe(config)
    const told = rigor(repo.dir, ['design'], {ANSWER: 'nodes: []\ngates: []'})
    expect(told.stdout).toContain(`invalid: gates: ${notRead}`)
  })
  it('an agent program that is not there, or not executable, is exit 2 naming agent.command[0] after one try, not three tries and exit 1', () => {
    repo = workspace()
    const notExecutable = join(repo.dir, '.git', 'agent-not-executable')
    writeFileSync(notExecutable, '#!/bin/sh\necho nodes: []\n')
    for (const [program, why] of [
      ['rigor-no-such-agent', 'spawn rigor-no-such-agent ENOENT'],
      [notExecutable, `spawn ${notExecutable} EACCES`],
    ]) {
      writeFileSync(
        join(repo.dir, 'rigor.yaml'),
        `version: 1\nteams: [{name: default}]\nagent: {command: [${JSON.stringify(program)}, --print]}\n`,
      )
      repo.git('commit', '-qam', `agent ${program}`)
      const result = rigor(repo.dir, ['design', '--json'])
      expect(result.code, result.stdout).toBe(2)
      expect(json(result).error.message).toBe(`rigor.yaml, field "agent.command[0]": the agent ${program} could not be started: ${why}`)
      expect(json(result).error.fix).toContain('name a program that exists and is executable')
      expect(result.stderr).not.toContain('retrying')
      expect(repo.git('log', '-1', '--format=%B')).toContain('Rigor-Attempts: 1')
    }
  })
  it("design --team T seeds only the answer's nodes of team T (one naming no team is T's), and reports another team's as not seeded", () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'prose-agent')
    writeFileSync(program, '#!/bin/sh\ncat >/dev/null\nprintf "%s\\n" "$ANSWER"\n')
    chmodSync(program, 0o755)
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}, {name: trend}]\nagent: {command: [${JSON.stringify(program)}]}\n`,
    )
    repo.git('commit', '-qam', 'agent, two teams')
    const ANSWER = [
      'nodes:',
      '  - {id: trend/one, team: trend, run: {command: ["true"]}}',
      '  - {id: other/two, team: default, run: {command: ["true"]}}',
      '  - {id: misc/three, run: {command: ["true"]}}',
    ].join('\n')
    const result = rigor(repo.dir, ['design', '--team', 'trend', '--json'], {ANSWER})
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).seeded).toEqual(['trend/one', 'misc/three'])
    expect(json(result).invalid).toEqual([
      {index: 1, field: 'nodes[1].team', message: 'not seeded: rigor design --team trend asked for nodes of team trend, not default'},
    ])
    expect(json(rigor(repo.dir, ['show', 'misc/three', '--json'])).team).toBe('trend')
  })
  it('an agent that fails with a 5 MB line on stderr is reported with the line cut, not a 15 MB record committed and a stack overflow', () => {
    repo = workspace()
    const program = join(repo.dir, '.git', 'loud-agent')
    writeFileSync(program, "#!/bin/sh\ncat >/dev/null\nhead -c 5000000 /dev/zero | tr '\\0' e >&2\nexit 1\n")
    chmodSync(program, 0o755)
    writeFileSync(join(repo.dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\nagent: {command: [${JSON.stringify(program)}]}\n`)
    repo.git('commit', '-qam', 'a loud failing agent')
    const result = rigor(repo.dir, ['design', '--json'])
    expect(result.code, result.stdout.slice(0, 500)).toBe(1)
    const message: string = json(result).error.message
    expect(message).toContain(`exited with code 1: ${'e'.repeat(500)}... (cut: 5000000 characters)`)
    expect(message.length).toBeLessThan(5000)
    const record = repo.git('diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD').trim()
    expect(record).toMatch(/^reports\/agent-calls\//)
    expect(Number(repo.git('cat-file', '-s', `HEAD:${record}`))).toBeLessThan(5000)
  })
})
