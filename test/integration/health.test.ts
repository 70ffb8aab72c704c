import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, returnsRunner, rigor, verdictRunner} from '../helpers/cli.js'
import {SLOW} from '../helpers/processes.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitConfig, notifications, workspace, writeSpec} from './helpers.js'

/**
 * `rigor health` against the thresholds of rigor.yaml, and notify.command:
 * called with the message on stdin and the event in RIGOR_EVENT on a crossed
 * threshold, a FAIL audit, a deploy and a failed cycle step; never through a
 * shell; its failure a warning.
 */

const NOTIFIER = resolve(__dirname, '../fixtures/notifier.mjs')

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor health and notify.command', {timeout: SLOW}, () => {
  it('reports each check with value and threshold, exits 1 and notifies when one is crossed, 0 (and silent) when none is', () => {
    repo = workspace()
    const log = join(repo.dir, 'notified.jsonl')
    commitConfig(repo, {
      gates: [{name: 'all', accept_when: 'true'}],
      health: {max_audit_backlog: 1, max_failed_audit_rate: 0.5, max_stuck_leases: 0, min_score: 10},
      // the last argument arrives as written: no shell expands it
      notify: {command: [process.execPath, NOTIFIER, log, '$(touch pwned)']},
    })
    writeSpec(repo.dir, {
      nodes: [
        ...['a', 'b'].map((n) => ({id: `t/${n}`, team: 'default', run: {command: returnsRunner({sharpe: 1})}})),
        // accepted, but it wrote no out/returns.csv (a pipeline's training stage): rigor audit cannot judge it, so it is
        // owed no audit and is not in the backlog
        {id: 't/train', team: 'default', run: {command: verdictRunner({accuracy: 0.6})}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)

    const crossed = rigor(repo.dir, ['health', '--json'])
    expect(crossed.code, crossed.stderr).toBe(1)
    const result = json(crossed)
    expect(result.ok).toBe(false)
    const byName = Object.fromEntries(result.checks.map((c: any) => [c.name, c]))
    expect(byName.audit_backlog).toEqual({name: 'audit_backlog', value: 2, threshold: 1, bound: 'max', ok: false})
    // the stage the backlog leaves out is the one rigor audit refuses
    const refused = rigor(repo.dir, ['audit', 't/train', '--auditor', 'risk'])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('node t/train has no out/returns.csv to audit')
    // and the site's backlog is health's: the two strategies listed, the stage not
    expect(rigor(repo.dir, ['site', '--out', 'site']).code).toBe(0)
    const audits = readFileSync(join(repo.dir, 'site/audits.html'), 'utf8')
    expect(audits).toContain('data-count="audit-backlog">2<')
    expect([...audits.matchAll(/<tr data-node="([^"]+)"/g)].map((m) => m[1])).toEqual(['t/a', 't/b'])
    expect(readFileSync(join(repo.dir, 'site/nodes/t~a.html'), 'utf8')).toContain('in the audit backlog')
    expect(readFileSync(join(repo.dir, 'site/nodes/t~train.html'), 'utf8')).not.toContain('in the audit backlog')
    expect(byName.failed_audit_rate).toEqual({name: 'failed_audit_rate', value: null, threshold: 0.5, bound: 'max', ok: true})
    expect(byName.stuck_leases).toMatchObject({value: 0, threshold: 0, ok: true})
    expect(byName.score.value).toBeGreaterThanOrEqual(10)
    expect(result.notified).toEqual({sent: true})

    const [told] = notifications(repo)
    expect(told!.argv).toEqual(['$(touch pwned)'])
    expect(existsSync(join(repo.dir, 'pwned'))).toBe(false)
    expect(told!.stdin).toBe('rigor health: 1 threshold(s) crossed: audit_backlog 2 > 1\n')
    expect(told!.event).toMatchObject({
      version: 1,
      kind: 'health',
      branch: 'main',
      commit: repo.git('rev-parse', 'main'),
      crossed: [{name: 'audit_backlog', value: 2, threshold: 1, ok: false}],
    })

    // the human form: one row per check, the crossed one named
    const table = rigor(repo.dir, ['health'])
    expect(table.code).toBe(1)
    expect(table.stdout).toMatch(/audit_backlog\t2\t<= 1\tCROSSED/)
    expect(table.stdout).toMatch(/failed_audit_rate\tn\/a\t<= 0\.500\tok/)
    expect(table.stdout).toContain('1 threshold(s) crossed')
    // and what to do about each crossed one
    expect(table.stdout).toMatch(/\nFix: audit_backlog: audit the accepted nodes: rigor audit <id> --auditor <name>/)
    expect(table.stdout).not.toMatch(/Fix: (score|stuck_leases|failed_audit_rate)/)
    expect(notifications(repo)).toHaveLength(2)

    // a threshold in the working tree judges nothing until it is committed
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({version: 1, teams: [{name: 'default'}], health: {max_audit_backlog: 5}}))
    expect(rigor(repo.dir, ['health']).code).toBe(1)
    commitConfig(repo, {health: {max_audit_backlog: 5}, notify: {command: [process.execPath, NOTIFIER, log]}})
    const healthy = rigor(repo.dir, ['health', '--json'])
    expect(healthy.code, healthy.stderr).toBe(0)
    expect(json(healthy).ok).toBe(true)
    expect(json(healthy).notified).toBeUndefined()
    // checks without a threshold are shown and never fail
    expect(json(healthy).checks.find((c: any) => c.name === 'score').threshold).toBeNull()
    expect(notifications(repo)).toHaveLength(3)
  })

  it('leaves the nodes rigor rank archived out of the backlog, as the cycle never audits them; kept again, they count', () => {
    repo = workspace()
    commitConfig(repo, {gates: [{name: 'all', accept_when: 'true'}], health: {max_audit_backlog: 1}})
    writeSpec(repo.dir, {
      nodes: [1, 2, 3].map((n) => ({id: `r/s${n}`, team: 'default', run: {command: returnsRunner({sharpe: n})}})),
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const backlog = () => json(rigor(repo.dir, ['health', '--json'])).checks.find((c: any) => c.name === 'audit_backlog').value
    expect(backlog()).toBe(3)
    // ranked out: no longer candidates, so no longer owed an audit
    expect(rigor(repo.dir, ['rank', '--objective', 'sharpe', '--keep', '1']).code).toBe(0)
    expect(backlog()).toBe(1)
    expect(rigor(repo.dir, ['health']).code).toBe(0)
    expect(rigor(repo.dir, ['site', '--out', 'site']).code).toBe(0)
    const audits = readFileSync(join(repo.dir, 'site/audits.html'), 'utf8')
    expect([...audits.matchAll(/<tr data-node="([^"]+)"/g)].map((m) => m[1])).toEqual(['r/s3'])
    expect(readFileSync(join(repo.dir, 'site/nodes/r~s1.html'), 'utf8')).not.toContain('in the audit backlog')
    // kept again by a wider ranking, they are owed an audit again
    expect(rigor(repo.dir, ['rank', '--objective', 'sharpe', '--keep', '3']).code).toBe(0)
    expect(backlog()).toBe(3)
  })

  it('refuses bad thresholds and notify settings naming the field (exit 2); a failing, hanging or missing notifier is a warning', () => {
    repo = workspace()
    commitConfig(repo, {health: {max_failed_audit_rate: 2}})
    const bad = rigor(repo.dir, ['health'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/rigor\.yaml.*health\.max_failed_audit_rate/)
    commitConfig(repo, {notify: {command: [], timeout: '1s'}})
    const empty = rigor(repo.dir, ['health'])
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/rigor\.yaml.*notify\.command/)

    const log = join(repo.dir, 'notified.jsonl')
    // a workspace whose health check fails (any audit backlog), with this notifier
    const notifyBy = (notify: {command: string[]; timeout?: string}) =>
      commitConfig(repo, {gates: [{name: 'all', accept_when: 'true'}], health: {max_audit_backlog: 0}, notify})
    notifyBy({command: [process.execPath, NOTIFIER, log], timeout: '1s'})
    writeSpec(repo.dir, {nodes: [{id: 't/a', team: 'default', run: {command: returnsRunner({sharpe: 1})}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)

    // a notifier that fails has all the time it needs (a node process may take over a second to start on a loaded
    // machine: it timed out once in a loaded suite); one that hangs has 1 s
    notifyBy({command: [process.execPath, NOTIFIER, log], timeout: '120s'})
    const failing = rigor(repo.dir, ['health', '--json'], {NOTIFIER_EXIT: '7'})
    expect(failing.code).toBe(1)
    expect(json(failing).notified).toEqual({sent: false, problem: 'exited with code 7: the webhook said no'})
    expect(failing.stderr).toMatch(/Warning: notify\.command \(.*node.*\) failed on the health event: exited with code 7/)

    notifyBy({command: [process.execPath, NOTIFIER, log], timeout: '1s'})
    const hanging = rigor(repo.dir, ['health', '--json'], {NOTIFIER_SLEEP_MS: '20000'})
    expect(hanging.code).toBe(1)
    expect(json(hanging).notified).toEqual({sent: false, problem: 'timed out after 1s'})

    notifyBy({command: [join(repo.dir, 'no-such-notifier')]})
    const missing = rigor(repo.dir, ['health'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/Warning: notify\.command \(.*no-such-notifier\) failed on the health event: .*ENOENT/)
  })
})
