import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {waitFor} from '../helpers/processes.js'
import {dumpStateDocument} from '../../src/core/state/documents.js'
import {manyNodes, workspace, writeSpec} from './helpers.js'

const FIXTURES = resolve(__dirname, '../fixtures')
let repo: TempRepo
afterEach(() => repo?.cleanup())

/** a runner that works a little and reports what it cost */
const COSTLY = [
  'sh',
  '-c',
  'sleep 0.3; printf \'{"metrics":{"sharpe":1.0},"cost":{"usd":0.3,"tokens_in":1000,"tokens_out":500}}\' > "$RIGOR_OUT/verdict.json"',
]

describe('the daily budget', () => {
  it('4 concurrent workers never spend past daily_usd; the next claim answers budget_exhausted', async () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nbudget: {daily_usd: 1.0, reserve_per_run_usd: 0.3}\n`,
    )
    repo.git('commit', '-qam', 'budget')
    writeSpec(repo.dir, manyNodes(20, COSTLY))
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const polled = json(rigor(repo.dir, ['status', '--json']))
    expect(polled.by_status.pending).toBe(20)
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => rigorAsync(repo.dir, ['work', '--parallel', '2', '--worker', `b${i}`, '--json'])),
    )
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const ran = results.map((r) => json(r).finished as number).reduce((a, b) => a + b, 0)
    expect(ran).toBe(3)
    expect(results.some((r) => json(r).stopped_because === 'budget_exhausted')).toBe(true)
    // what the verdicts committed say was spent (the files `rigor show` reads), read with git: 20 CLI starts fewer
    const verdictFiles = repo
      .git('ls-tree', '-r', '--name-only', 'main', 'experiments')
      .split('\n')
      .filter((f) => f.endsWith('/verdict.yaml'))
    expect(verdictFiles).toHaveLength(3)
    const spent = verdictFiles.reduce((sum, f) => sum + (parse(repo.git('show', `main:${f}`)).cost?.usd ?? 0), 0)
    expect(spent).toBeGreaterThan(0)
    expect(spent).toBeLessThanOrEqual(1.0)
    const next = rigor(repo.dir, ['claim', '--json'])
    expect(next.code).toBe(3)
    expect(json(next).error.message).toContain('budget_exhausted')
  })
})

describe('the daily budget after a rerun', () => {
  it('still counts what the rerun runs cost today: their verdicts leave the tree, the money stays spent', () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]\nbudget: {daily_usd: 1.0, reserve_per_run_usd: 0.3}\n`,
    )
    repo.git('commit', '-qam', 'budget')
    const cheap = ['sh', '-c', `printf '{"metrics":{"sharpe":1.0},"cost":{"usd":0.3}}' > "$RIGOR_OUT/verdict.json"`]
    writeSpec(repo.dir, manyNodes(6, cheap))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const first = json(rigor(repo.dir, ['work', '--worker', 'w', '--json']))
    expect(first.finished).toBe(3)
    const ran = repo
      .git('ls-tree', '-r', '--name-only', 'main', 'experiments')
      .split('\n')
      .filter((f) => f.endsWith('/verdict.yaml'))
      .map((f) => f.split('/').slice(1, -1).join('/'))
    expect(ran).toHaveLength(3)
    for (const id of ran) expect(rigor(repo.dir, ['rerun', id, '--by', 'me']).code).toBe(0)
    const day = new Date().toISOString().slice(0, 10)
    expect(parse(repo.git('show', `main:experiments/${ran[0]}/node.yaml`)).spent).toEqual({day, usd: 0.3})
    // the $0.90 spent today is still spent: nothing more runs, the reruns included
    const next = rigor(repo.dir, ['claim', '--json'])
    expect(next.code, next.stdout).toBe(3)
    expect(json(next).error.message).toContain('spent $0.90')
    const second = rigor(repo.dir, ['work', '--worker', 'w', '--json'])
    expect(json(second).finished ?? 0, second.stdout).toBe(0)
  })
})

describe('what a runner says a run cost', () => {
  it('is at most a billion dollars: 1e308 ends the run inconclusive naming the field, and no sum turns infinite', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'rigor.yaml'), 'version: 1\nteams: [{name: default}]\nbudget: {daily_usd: 5.0}\n')
    repo.git('commit', '-qam', 'budget')
    const huge = ['sh', '-c', 'printf \'{"metrics":{"sharpe":1.0},"cost":{"usd":1e308}}\' > "$RIGOR_OUT/verdict.json"']
    writeSpec(repo.dir, manyNodes(2, huge))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const shown = json(rigor(repo.dir, ['show', 'bulk/n0000', '--json']))
    expect(shown.status).toBe('inconclusive')
    expect(shown.reason).toMatch(/field "cost\.usd": must be at most 1000000000/)
    const costs = rigor(repo.dir, ['metrics'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('rigor_run_cost_usd_total') || l.startsWith('rigor_budget_'))
    expect(costs.length).toBeGreaterThan(0)
    for (const line of costs) expect(Number.isFinite(Number(line.split(' ').pop())), line).toBe(true)
  })
})

describe('the budget covers every paid call', () => {
  it('design asks the budget before each agent attempt and stops with budget_exhausted, recording what was spent', () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\nbudget: {daily_usd: 2.0, reserve_per_agent_call_usd: 0.5}\nagent: {command: [node, ${JSON.stringify(join(FIXTURES, 'fake-agent.mjs'))}]}\n`,
    )
    repo.git('commit', '-qam', 'an agent that costs $0.60 a call, a $2 budget')
    const counter = join(repo.dir, '.git', 'agent-calls')
    const env = {FAKE_AGENT_COUNTER: counter, FAKE_AGENT_COST: '0.6'}
    const outcomes = Array.from({length: 5}, () => rigor(repo.dir, ['design', '--count', '1', '--json'], env))
    // $0.60 + $0.60 spent, then $1.20 + $0.50 reserved: a fourth call would pass $2.00
    expect(outcomes.map((o) => o.code)).toEqual([0, 0, 0, 3, 3])
    expect(json(outcomes[3]!).error.message).toContain('budget_exhausted')
    expect(Number(readFileSync(counter, 'utf8'))).toBe(3)
    const spent = repo
      .git('log', '--format=%B', '--grep=Rigor-Action: design', 'main')
      .split('\n')
      .filter((l) => l.startsWith('Rigor-Cost-Usd: '))
      .reduce((a, l) => a + Number(l.slice('Rigor-Cost-Usd: '.length)), 0)
    expect(spent).toBeCloseTo(1.8, 6)
  })

  it('an agent whose RIGOR_COST lines add up to more tokens than a record can count still has its dollars counted, not a record the budget cannot read', () => {
    repo = workspace()
    // each line may say 10^15 tokens; ten of them were a sum the record refused, so the budget counted the call at $0
    const program = join(repo.dir, '.git', 'chatty-agent')
    writeFileSync(
      program,
      `#!/bin/sh\ncat >/dev/null\nfor i in 1 2 3 4 5 6 7 8 9 10; do echo 'RIGOR_COST {"usd": 0.06, "tokens_in": 1000000000000000}' >&2; done\necho 'nodes: []'\n`,
    )
    chmodSync(program, 0o755)
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\nbudget: {daily_usd: 1.0, reserve_per_agent_call_usd: 0.5}\nagent: {command: [${JSON.stringify(program)}]}\n`,
    )
    repo.git('commit', '-qam', 'an agent that costs $0.60 a call in ten lines, a $1 budget')
    const first = rigor(repo.dir, ['design', '--json'])
    expect(first.code, first.stderr).toBe(0)
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    // $0.60 spent and $0.50 held for the next attempt would pass $1.00
    const second = rigor(repo.dir, ['design', '--json'])
    expect(second.code, second.stdout).toBe(3)
    expect(json(second).error.message).toContain('budget_exhausted: spent $0.60')
  })

  /** A workspace with a $1 day, $0.60 reserved per agent attempt and the fake agent, which costs $0.60 a call. */
  const agentWorkspace = () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `version: 1\nteams: [{name: default}]\nbudget: {daily_usd: 1.0, reserve_per_agent_call_usd: 0.6}\nagent: {command: [node, ${JSON.stringify(join(FIXTURES, 'fake-agent.mjs'))}]}\n`,
    )
    repo.git('commit', '-qam', 'a $1 budget, $0.60 an agent call')
    return {FAKE_AGENT_COUNTER: join(repo.dir, '.git', 'agent-calls'), FAKE_AGENT_COST: '0.6'}
  }

  it('two design processes at once cannot both take what is left of the day: a call in flight holds its reservation on the branch', async () => {
    const env = {...agentWorkspace(), FAKE_AGENT_WAIT_FOR: join(repo.dir, '.git', 'agent-go')}
    const first = rigorAsync(repo.dir, ['design', '--count', '1', '--json'], env)
    await waitFor('the first agent call to start', () => existsSync(env.FAKE_AGENT_COUNTER))
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports/agent-reservations')).toMatch(/-design-/)
    // $0.60 held by the first call, and another $0.60 would pass $1.00
    const second = rigor(repo.dir, ['design', '--count', '1', '--json'], env)
    expect(second.code, second.stderr).toBe(3)
    expect(json(second).error.message).toMatch(/budget_exhausted: spent \$0\.00 and reserved \$0\.60 of \$1\.00/)
    writeFileSync(env.FAKE_AGENT_WAIT_FOR, '')
    const done = await first
    expect(done.code, done.stderr).toBe(0)
    expect(Number(readFileSync(env.FAKE_AGENT_COUNTER, 'utf8'))).toBe(1)
    // the call's record replaced its reservation in one commit
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports/agent-reservations')).toBe('')
    expect(repo.git('log', '-1', '--format=%B', 'main', '--', 'reports/agent-reservations')).toContain('Rigor-Action: design')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it('an attempt that reports no readable cost counts what the budget held for it: no line, not JSON, or $1e308', () => {
    const env = agentWorkspace()
    writeFileSync(join(repo.dir, 'rigor.yaml'), readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8').replace('0.6}', '0.3}'))
    repo.git('commit', '-qam', 'a $1 budget, $0.30 held per agent attempt')
    const design = (line: string) => rigor(repo.dir, ['design', '--count', '1', '--json'], {...env, FAKE_AGENT_COST_LINE: line})
    const outcomes = ['none', '{"usd": 1e308}', 'lots'].map(design)
    for (const o of outcomes) expect(o.code, o.stderr).toBe(0)
    for (const o of outcomes) expect(json(o).cost_usd).toBeCloseTo(0.3, 9)
    const records = repo
      .git('ls-tree', '-r', '--name-only', 'main', 'reports/agent-calls')
      .split('\n')
      .map((f) => parse(repo.git('show', `main:${f}`)))
    expect(records.map((r) => r.cost_unread).sort()).toEqual([
      ['attempt 1: RIGOR_COST line is not JSON: counted as the $0.3000 the budget held'],
      ['attempt 1: RIGOR_COST usd: must be at most 1000000000 (dollars): counted as the $0.3000 the budget held'],
      ['attempt 1: no RIGOR_COST line on stderr: counted as the $0.3000 the budget held'],
    ])
    // $0.90 counted and $0.30 held for the next attempt would pass $1.00: the agent is not asked again
    const fourth = design('none')
    expect(fourth.code, fourth.stderr).toBe(3)
    expect(json(fourth).error.message).toMatch(/budget_exhausted: spent \$0\.90/)
    expect(Number(readFileSync(env.FAKE_AGENT_COUNTER, 'utf8'))).toBe(3)
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it('a reservation left by a process that died holds until it expires, then counts nothing and is removed', () => {
    const env = agentWorkspace()
    const reservation = (expires: string) =>
      dumpStateDocument({
        kind: 'design',
        agent: 'agent:gone',
        reserved_usd: 5,
        reserved_at: '2026-01-01T00:00:00.000Z',
        expires_at: expires,
      })
    mkdirSync(join(repo.dir, 'reports', 'agent-reservations'), {recursive: true})
    const file = join(repo.dir, 'reports', 'agent-reservations', 'dead.yaml')
    writeFileSync(file, reservation('2999-01-01T00:00:00.000Z'))
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'a call in flight elsewhere')
    const held = rigor(repo.dir, ['design', '--count', '1', '--json'], env)
    expect(held.code, held.stderr).toBe(3)
    expect(existsSync(env.FAKE_AGENT_COUNTER)).toBe(false)
    writeFileSync(file, reservation('2026-01-01T00:05:00.000Z'))
    repo.git('commit', '-qam', 'its process died long ago')
    const ran = rigor(repo.dir, ['design', '--count', '1', '--json'], env)
    expect(ran.code, ran.stderr).toBe(0)
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports/agent-reservations')).toBe('')
  })
})
