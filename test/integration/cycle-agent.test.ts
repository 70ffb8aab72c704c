import {readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {checkedOutput} from '../helpers/output-schema.js'
import {SLOW} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

/** The cycle's agent steps: a design step retried after a failed call; assess under the budget. */

const FAKE_AGENT = resolve(__dirname, '../fixtures/fake-agent.mjs')
let repo: TempRepo
afterEach(() => repo?.cleanup())

function configure(dir: string, yaml: string): void {
  writeFileSync(join(dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\n${yaml}`)
}

const stepsOf = (result: any): Record<string, string> => Object.fromEntries(result.steps.map((s: any) => [s.name, s.status]))

describe('rigor cycle: agent steps', () => {
  it(
    'a step with retry runs again after a failure: design fails once, the retry seeds, and work runs what it seeded',
    () => {
      repo = workspace()
      const counter = join(repo.dir, '.git', 'agent-calls')
      configure(
        repo.dir,
        [
          `gates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]`,
          `agent: {command: [node, ${JSON.stringify(FAKE_AGENT)}]}`,
          'cycle:',
          '  steps: [design, work, report]',
          '  design: {retry: 2, retry_delay: 100ms}',
          '',
        ].join('\n'),
      )
      repo.git('commit', '-qam', 'design retried')
      // the agent fails its first three calls: one whole design attempt (the agent call tries three times)
      const run = rigor(repo.dir, ['cycle', '--json'], {FAKE_AGENT_COUNTER: counter, FAKE_AGENT_FAILURES: '3', FAKE_AGENT_COST: '0.05'})
      expect(run.code, run.stderr).toBe(0)
      const result = checkedOutput('cycle', run)
      const design = result.steps.find((s: any) => s.name === 'design')
      expect(design).toMatchObject({status: 'succeeded', attempts: 2})
      expect(design.error).toBeUndefined()
      expect(Number(readFileSync(counter, 'utf8'))).toBe(4)
      // both calls cost: 4 attempts at $0.05
      expect(design.cost_usd).toBeCloseTo(0.2, 6)
      expect(result.cost_usd).toBeCloseTo(0.2, 6)
      expect(result.design.seeded).toEqual(['agent/idea-one', 'agent/idea-two'])
      expect(result.work.finished).toBe(2)
      const listed = checkedOutput('cycle list', rigor(repo.dir, ['cycle', 'list', '--json']))
      expect(listed.cycles[0].cost_usd).toBeCloseTo(0.2, 6)
    },
    SLOW,
  )

  it(
    'assess judges the new verdicts, asks the budget before each agent call and stops with budget_exhausted (exit 3)',
    () => {
      repo = workspace()
      writeFileSync(
        join(repo.dir, 'rigor.yaml'),
        [
          'version: 1',
          'teams: [{name: default}]',
          "gates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]",
          'budget: {daily_usd: 2.0, reserve_per_agent_call_usd: 0.5}',
          `agent: {command: [node, ${JSON.stringify(FAKE_AGENT)}]}`,
          'cycle: {steps: [work, assess, rank, report]}',
          '',
        ].join('\n'),
      )
      repo.git('commit', '-qam', 'an agent that costs $0.60 a call, a $2 budget')
      writeSpec(repo.dir, {
        nodes: Array.from({length: 5}, (_, i) => ({id: `m/n${i}`, team: 'default', run: {command: verdictRunner({sharpe: 1 + i / 10})}})),
      })
      rigor(repo.dir, ['seed', 'spec.yaml'])
      const counter = join(repo.dir, '.git', 'agent-calls')
      const env = {FAKE_AGENT_COUNTER: counter, FAKE_AGENT_COST: '0.6'}

      const run = rigor(repo.dir, ['cycle', '--json'], env)
      expect(run.code, run.stderr).toBe(3)
      const result = checkedOutput('cycle', run)
      expect(result.outcome).toBe('stopped')
      expect(stepsOf(result)).toEqual({work: 'succeeded', assess: 'stopped', rank: 'succeeded', report: 'succeeded'})
      const assess = result.steps.find((s: any) => s.name === 'assess')
      // $0.60 x 3 spent, then $1.80 + $0.50 reserved would pass $2.00: the fourth call never starts
      expect(assess.reason).toBe('budget_exhausted')
      expect(assess.error).toContain('budget_exhausted')
      expect(assess.cost_usd).toBeCloseTo(1.8, 6)
      expect(result.cost_usd).toBeCloseTo(1.8, 6)
      // the first three verdicts to land, each once
      expect(new Set(result.assess.assessed).size).toBe(3)
      expect(Number(readFileSync(counter, 'utf8'))).toBe(3)
      const learnings = repo.git('show', 'main:learnings.md')
      for (const id of result.assess.assessed) expect(learnings).toContain(`## ${id} (`)
      expect(learnings.match(/^## /gm)).toHaveLength(3)

      // rigor assess asks the same budget
      const unassessed = ['m/n0', 'm/n1', 'm/n2', 'm/n3', 'm/n4'].find((id) => !result.assess.assessed.includes(id))!
      const direct = rigor(repo.dir, ['assess', unassessed, '--json'], env)
      expect(direct.code).toBe(3)
      expect(json(direct).error.message).toContain('budget_exhausted')
      expect(Number(readFileSync(counter, 'utf8'))).toBe(3)

      const listed = checkedOutput('cycle list', rigor(repo.dir, ['cycle', 'list', '--json']))
      expect(listed.cycles).toHaveLength(1)
      expect(listed.cycles[0]).toMatchObject({id: result.id, outcome: 'stopped'})
      expect(listed.cycles[0].cost_usd).toBeCloseTo(1.8, 6)
    },
    SLOW,
  )
  it(
    'a budget the runs spend stops the work step as it stops assess: stopped, budget_exhausted, what it ran kept (exit 3)',
    () => {
      repo = workspace()
      writeFileSync(
        join(repo.dir, 'rigor.yaml'),
        [
          'version: 1',
          'teams: [{name: default}]',
          "gates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]",
          'budget: {daily_usd: 1.0, reserve_per_run_usd: 0.6}',
          'cycle: {steps: [work, rank, report]}',
          '',
        ].join('\n'),
      )
      repo.git('commit', '-qam', 'a $1 budget')
      writeSpec(repo.dir, {
        nodes: Array.from({length: 4}, (_, i) => ({
          id: `b/n${i}`,
          team: 'default',
          run: {command: verdictRunner({sharpe: 1}, {cost: {usd: 0.6}})},
        })),
      })
      rigor(repo.dir, ['seed', 'spec.yaml'])
      const run = rigor(repo.dir, ['cycle', '--parallel', '1', '--json'])
      expect(run.code, run.stderr).toBe(3)
      const result = checkedOutput('cycle', run)
      expect(result.outcome).toBe('stopped')
      expect(stepsOf(result)).toEqual({work: 'stopped', rank: 'succeeded', report: 'succeeded'})
      const work = result.steps.find((s: any) => s.name === 'work')
      expect(work.reason).toBe('budget_exhausted')
      expect(work.error).toContain('budget_exhausted')
      // one run at $0.60 left $0.40, less than a run reserves: the other three were never started
      expect(result.work.finished).toBe(1)
      expect(result.work.stopped_because).toBe('budget_exhausted')
      expect(work.cost_usd).toBeCloseTo(0.6, 6)
      expect(json(rigor(repo.dir, ['status', '--json'])).by_status.pending).toBe(3)
    },
    SLOW,
  )
})
