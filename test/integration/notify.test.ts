import {writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {SLOW} from '../helpers/processes.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv, writeRunner} from './audit-fixtures.js'
import {commitConfig, notifications, workspace, writeSpec} from './helpers.js'

/**
 * notify.command on the events other than health (health.test.ts has that and
 * the notifier's failures): a FAIL audit, a deploy and a rollback, a failed cycle step.
 */

const NOTIFIER = resolve(__dirname, '../fixtures/notifier.mjs')

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('notify.command on audits, deploys and cycles', {timeout: SLOW}, () => {
  it('notifies a FAIL audit and a deploy, but not a PASS audit; notify.events narrows what is told', () => {
    repo = workspace()
    const log = join(repo.dir, 'notified.jsonl')
    writeFileSync(join(repo.dir, 'drift.csv'), pricesCsv({rows: 1500, seed: 7, drift: 0.001, vol: 0.01}))
    repo.git('add', 'drift.csv')
    commitConfig(repo, {
      gates: [{name: 'all', accept_when: 'true'}],
      audit: {permutations: 2, seeds: [1], truncation_cuts: [0.75]},
      deploy: {paper: {command: [process.execPath, '-e', '0']}},
      notify: {command: [process.execPath, NOTIFIER, log]},
    })
    const node = (id: string, body: string) => ({
      id,
      team: 'default',
      run: {command: ['node', writeRunner(repo.dir, id.replace('/', '-'), body)]},
      data: 'drift.csv',
    })
    writeSpec(repo.dir, {
      nodes: [
        node('hold/long', 'return close.map(() => 1)'),
        // trades on tomorrow's open: the auditor's look-ahead check fails it
        node('peek/open', 'return close.map((c, t) => (t + 1 < close.length ? (open[t + 1] > c ? 1 : -1) : 0))'),
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
    expect(rigor(repo.dir, ['work', '--worker', 'runner']).code).toBe(0)

    const pass = json(rigor(repo.dir, ['audit', 'hold/long', '--auditor', 'risk', '--json']))
    expect(pass.verdict).toBe('PASS')
    expect(notifications(repo)).toHaveLength(0)
    const fail = json(rigor(repo.dir, ['audit', 'peek/open', '--auditor', 'risk', '--json']))
    expect(fail.verdict).toBe('FAIL')
    const [audited] = notifications(repo)
    expect(audited!.event).toMatchObject({kind: 'audit_fail', node: 'peek/open', auditor: 'risk', file: fail.file})
    expect(audited!.event.failed_checks).toContain('lookahead.truncation')
    expect(audited!.stdin).toMatch(
      /^rigor audit: FAIL for peek\/open by risk \(audits\/peek\/open\/.*\.md\); failed checks: .*lookahead\.truncation/,
    )

    const deployed = rigor(repo.dir, ['deploy', 'hold/long', '--stage', 'paper', '--by', 'alice', '--json'])
    expect(deployed.code, deployed.stderr).toBe(0)
    expect(notifications(repo)[1]!.event).toMatchObject({
      kind: 'deploy',
      action: 'deploy',
      node: 'hold/long',
      stage: 'paper',
      by: 'alice',
      file: 'deployments/paper/hold/long.yaml',
    })
    expect(notifications(repo)[1]!.stdin).toBe('rigor deploy: hold/long deployed to paper by alice (deployments/paper/hold/long.yaml)\n')

    // told only of deploys: a rollback is told, a health alarm is not
    commitConfig(repo, {
      gates: [{name: 'all', accept_when: 'true'}],
      health: {max_audit_backlog: 0, max_failed_audit_rate: 0},
      deploy: {paper: {command: [process.execPath, '-e', '0']}},
      notify: {command: [process.execPath, NOTIFIER, log], events: ['deploy']},
    })
    const health = rigor(repo.dir, ['health', '--json'])
    expect(health.code).toBe(1)
    expect(json(health).notified).toEqual({sent: false, skipped: 'not_subscribed'})
    expect(rigor(repo.dir, ['deploy', 'hold/long', '--rollback', '--stage', 'paper', '--by', 'alice']).code).toBe(0)
    expect(notifications(repo).map((n) => n.event.kind)).toEqual(['audit_fail', 'deploy', 'deploy'])
    expect(notifications(repo)[2]!.event.action).toBe('rollback')
  })

  it('notifies a failed cycle step and the cycle still fails', () => {
    repo = workspace()
    const log = join(repo.dir, 'notified.jsonl')
    commitConfig(repo, {
      agent: {command: [process.execPath, '-e', 'process.stderr.write("no credit left\\n"); process.exit(3)']},
      notify: {command: [process.execPath, NOTIFIER, log]},
    })
    const cycle = rigor(repo.dir, ['cycle', '--json'])
    expect(cycle.code).toBe(1)
    const [told] = notifications(repo)
    expect(told!.event).toMatchObject({kind: 'cycle_step_failed', step: 'design'})
    expect(told!.event.cycle).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect(told!.event.error).toContain('no credit left')
    expect(told!.stdin).toMatch(/^rigor cycle \S+: the design step failed: the agent .* failed 3 times/)
  })
})
