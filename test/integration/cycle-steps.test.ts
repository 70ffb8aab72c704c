import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import {checkedOutput} from '../helpers/output-schema.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW} from '../helpers/processes.js'
import {actionsPerNode, workspace, writeSpec} from './helpers.js'

/**
 * The cycle's steps as rigor.yaml configures them: a failing step is recorded
 * and the steps that do not need it still run; disabled and skipped steps do
 * not run. (Retries: cycle-agent.test.ts.)
 */

const ROOT = resolve(__dirname, '../..')
const FAKE_AGENT = join(ROOT, 'test/fixtures/fake-agent.mjs')
let repo: TempRepo
afterEach(() => repo?.cleanup())

function configure(dir: string, yaml: string): void {
  writeFileSync(join(dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\n${yaml}`)
}

const stepsOf = (result: any): Record<string, string> => Object.fromEntries(result.steps.map((s: any) => [s.name, s.status]))

const nodes = (metrics: Array<Record<string, number>>) => ({
  nodes: metrics.map((m, i) => ({id: `m/n${i}`, team: 'default', run: {command: verdictRunner(m)}})),
})

describe('rigor cycle: steps that survive a bad day', () => {
  it(
    'a design agent that fails does not stop work, rank and report; the cycle exits 1 with a summary of every step',
    () => {
      repo = workspace()
      configure(
        repo.dir,
        `gates: [{name: g, accept_when: 'metrics.sharpe > 0.5'}]\nagent: {command: [sh, -c, 'echo overloaded >&2; exit 1']}\n`,
      )
      repo.git('commit', '-qam', 'an agent that always fails')
      writeSpec(repo.dir, nodes([{sharpe: 1.2}, {sharpe: 0.9}, {sharpe: 0.1}]))
      rigor(repo.dir, ['seed', 'spec.yaml'])

      const run = rigor(repo.dir, ['cycle'])
      expect(run.code, run.stderr).toBe(1)
      // the summary names every step's outcome, and why design failed
      expect(run.stdout).toMatch(/cycle \S+: failed \(exit 1\)/)
      expect(run.stdout).toMatch(/design\tfailed\t1\t\$0\.00\tthe agent sh -c .* failed 3 times: exited with code 1: overloaded/)
      expect(run.stdout).toMatch(/work\tsucceeded\t1\t\$0\.00\tfinished 3 of 3 claimed/)
      expect(run.stdout).toMatch(/rank\tsucceeded\t1\t\$0\.00\tby sharpe/)
      expect(run.stdout).toMatch(/report\tsucceeded/)
      // work ran every node, rank and report committed
      expect(actionsPerNode(repo, 'verdict').size).toBe(3)
      expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports/rankings')).toMatch(/-sharpe\.yaml$/)
      expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports')).toMatch(/reports\/\d{4}-\d{2}-\d{2}\.md/)
      // the failed agent call is on the record and counted
      expect(repo.git('log', '--format=%s', '--grep=Rigor-Action: design', 'main')).toContain('3 attempt(s)')

      // the record moved to .git/rigor/cycles/<id>.json; none is left in progress
      expect(existsSync(join(repo.dir, '.git/rigor/cycle.json'))).toBe(false)
      const [file] = readdirSync(join(repo.dir, '.git/rigor/cycles'))
      const record = JSON.parse(readFileSync(join(repo.dir, '.git/rigor/cycles', file!), 'utf8'))
      expect(record.outcome).toBe('failed')
      expect(stepsOf(record)).toEqual({design: 'failed', work: 'succeeded', audit: 'succeeded', rank: 'succeeded', report: 'succeeded'})
      expect(record.steps[0].fix).toContain('agent.command')

      // the next cycle is a new one, not a resumption; list shows both, newest first
      const again = rigor(repo.dir, ['cycle', '--json'])
      expect(again.code).toBe(1)
      const second = checkedOutput('cycle', again)
      expect(second.resumed).toBe(false)
      expect(second.outcome).toBe('failed')
      expect(second.work.claimed).toBe(0)
      const listed = checkedOutput('cycle list', rigor(repo.dir, ['cycle', 'list', '--json']))
      expect(listed.cycles.map((c: any) => c.id)).toEqual([second.id, record.id])
      expect(listed.cycles[1]).toMatchObject({outcome: 'failed', cost_usd: 0})
      expect(listed.cycles[1].steps.map((s: any) => `${s.name}:${s.status}`)).toEqual([
        'design:failed',
        'work:succeeded',
        'audit:succeeded',
        'rank:succeeded',
        'report:succeeded',
      ])
      const table = rigor(repo.dir, ['cycle', 'list'])
      expect(table.stdout).toContain(`${record.id}\t${record.started_at}\tdesign:failed work:succeeded`)
    },
    SLOW,
  )

  it(
    'steps disabled or skipped in rigor.yaml (or with --skip) do not run; a failed work step blocks only what needs it',
    () => {
      repo = workspace()
      const counter = join(repo.dir, '.git', 'agent-calls')
      configure(
        repo.dir,
        [
          `agent: {command: [node, ${JSON.stringify(FAKE_AGENT)}]}`,
          'cycle:',
          '  steps: [design, work, assess, rank, report]',
          '  design: {enabled: false}',
          '  rank: {skip: true}',
          '',
        ].join('\n'),
      )
      repo.git('commit', '-qam', 'no design, rank skipped')
      writeSpec(repo.dir, nodes([{sharpe: 1}]))
      rigor(repo.dir, ['seed', 'spec.yaml'])

      const result = checkedOutput('cycle', rigor(repo.dir, ['cycle', '--skip', 'assess', '--json'], {FAKE_AGENT_COUNTER: counter}))
      expect(result.outcome).toBe('succeeded')
      // design is out of the cycle altogether; rank and assess are on the record as skipped
      expect(stepsOf(result)).toEqual({work: 'succeeded', assess: 'skipped', rank: 'skipped', report: 'succeeded'})
      expect(existsSync(counter)).toBe(false)
      expect(result.design).toBeUndefined()
      expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports')).not.toContain('rankings')
      expect(result.work.finished).toBe(1)

      // --skip work: the pending node stays pending, and what needs work still runs (skipping is no failure)
      writeSpec(repo.dir, {nodes: [{id: 'm/later', team: 'default', run: {command: verdictRunner({sharpe: 1})}}]})
      rigor(repo.dir, ['seed', 'spec.yaml'])
      const skipped = checkedOutput('cycle', rigor(repo.dir, ['cycle', '--skip', 'work', '--json'], {FAKE_AGENT_COUNTER: counter}))
      expect(stepsOf(skipped)).toEqual({work: 'skipped', assess: 'succeeded', rank: 'skipped', report: 'succeeded'})
      expect(skipped.assess.assessed).toEqual([])
      expect(json(rigor(repo.dir, ['show', 'm/later', '--json'])).status).toBe('pending')

      // work fails (a merge is in progress in the checkout): assess, which needs it, is blocked; report,
      // which needs nothing, still runs (and fails on its own, as its commit waits for the merge too)
      writeFileSync(join(repo.dir, '.git', 'MERGE_HEAD'), `${repo.git('rev-parse', 'HEAD')}\n`)
      const blocked = rigor(repo.dir, ['cycle', '--json'], {FAKE_AGENT_COUNTER: counter})
      expect(blocked.code, blocked.stderr).toBe(1)
      const outcome = checkedOutput('cycle', blocked)
      expect(stepsOf(outcome)).toEqual({work: 'failed', assess: 'blocked', rank: 'skipped', report: 'failed'})
      const step = (name: string) => outcome.steps.find((s: any) => s.name === name)
      expect(step('work').error).toContain('merge')
      expect(step('assess').reason).toBe('needs work, which failed')
      expect(step('report').attempts).toBe(1)
      expect(existsSync(counter)).toBe(false)
    },
    SLOW,
  )

  it(
    'a cycle stopped after an agent assessed a node but before it wrote that down does not pay the agent again when it resumes',
    () => {
      repo = workspace()
      const counter = join(repo.dir, '.git', 'agent-calls')
      configure(repo.dir, [`agent: {command: [node, ${JSON.stringify(FAKE_AGENT)}]}`, 'cycle:', '  steps: [work, assess]', ''].join('\n'))
      repo.git('commit', '-qam', 'an agent that assesses')
      writeSpec(repo.dir, nodes([{sharpe: 1}]))
      expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
      const first = checkedOutput('cycle', rigor(repo.dir, ['cycle', '--json'], {FAKE_AGENT_COUNTER: counter}))
      expect(first.assess.assessed).toEqual(['m/n0'])
      expect(readFileSync(counter, 'utf8')).toBe('1')

      // the record as a cycle killed between the learnings commit and saving its progress leaves it: still running,
      // its process gone, the assess step under way with nothing done
      const [file] = readdirSync(join(repo.dir, '.git/rigor/cycles'))
      const record = JSON.parse(readFileSync(join(repo.dir, '.git/rigor/cycles', file!), 'utf8'))
      record.outcome = 'running'
      record.finished_at = null
      record.pid = 999_999_999
      record.pid_start = null
      const assess = record.steps.find((step: any) => step.name === 'assess')
      assess.status = 'running'
      assess.done_nodes = []
      delete assess.finished_at
      writeFileSync(join(repo.dir, '.git/rigor/cycle.json'), JSON.stringify(record))

      const resumed = rigor(repo.dir, ['cycle', '--json'], {FAKE_AGENT_COUNTER: counter})
      expect(resumed.code, resumed.stderr).toBe(0)
      const again = checkedOutput('cycle', resumed)
      expect(again.resumed).toBe(true)
      expect(again.assess.assessed).toEqual(['m/n0'])
      expect(readFileSync(counter, 'utf8')).toBe('1')
      expect(repo.git('show', 'main:learnings.md').match(/^## m\/n0 /gm)).toHaveLength(1)
    },
    SLOW,
  )
})
