import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, returnsRunner, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_CRASH, SH_OK} from '../fixtures/runners.js'
import {commitAuditReport} from './audit-commit.js'
import {familiesSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor report', () => {
  it("writes the day's markdown and JSON report with activity, top nodes, trends and lineage", () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'd/good', team: 'default', run: {command: returnsRunner({sharpe: 1, win_rate: 0.6})}},
        {id: 'd/broken', team: 'default', run: {command: SH_CRASH}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const today = new Date().toISOString().slice(0, 10)
    const result = json(rigor(repo.dir, ['report', '--json']))
    expect(result.files).toEqual([`reports/${today}.md`, `reports/${today}.json`])
    const report = result.report
    expect(report.activity).toMatchObject({seeded: 2, run: 2, accepted: 1, inconclusive: 1})
    expect(report.top.sharpe[0].id).toBe('d/good')
    expect(report.trend).toHaveLength(7)
    expect(report.trend[6]).toMatchObject({date: today, run: 2})
    // one of two runs inconclusive, one accepted node not audited yet: 100 - 30 x 0.5 - 25 x 1/10 = 82.5
    expect(report.audit_backlog).toBe(1)
    expect(report.health_score).toBe(83)
    const md = readFileSync(join(repo.dir, `reports/${today}.md`), 'utf8')
    expect(md).toContain('```mermaid')
    expect(md).toContain('Health score **83/100**')
    const onDisk = JSON.parse(readFileSync(join(repo.dir, `reports/${today}.json`), 'utf8'))
    expect(onDisk.activity.run).toBe(2)
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    // again for the same day: replaced, still one pair of files
    expect(rigor(repo.dir, ['report']).code).toBe(0)
    expect(existsSync(join(repo.dir, `reports/${today}.md`))).toBe(true)
    expect(rigor(repo.dir, ['report', '--date', 'yesterday']).code).toBe(2)
    // a day the month does not have is no date (Date.parse reads 2026-02-30 as March 2nd): nothing written
    const tip = repo.git('rev-parse', 'main')
    const impossible = rigor(repo.dir, ['report', '--date', '2026-02-30', '--json'])
    expect(impossible.code).toBe(2)
    expect(json(impossible).error.message).toBe('field "--date": "2026-02-30" is not a date')
    expect(repo.git('rev-parse', 'main')).toBe(tip)
    expect(existsSync(join(repo.dir, 'reports/2026-02-30.md'))).toBe(false)
    // a day that has not come yet has no activity to report: refused, nothing written
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
    const future = rigor(repo.dir, ['report', '--date', tomorrow])
    expect(future.code).toBe(2)
    expect(future.stderr).toContain(`"${tomorrow}" is after today (${today}, UTC)`)
    expect(repo.git('rev-parse', 'main')).toBe(tip)
    expect(existsSync(join(repo.dir, `reports/${tomorrow}.md`))).toBe(false)
  })
  it('writes the Deployed line with what the audit and its data said escaped: no line, link, image or markup of theirs renders', async () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [{id: 'd/good', team: 'default', run: {command: SH_OK}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    // the holdout summary quotes a date read from the runner's data files: whatever a CSV cell held
    const summary = 'passed: Sharpe 1.00 from <img src=x onerror=alert(1)> ![](https://evil.example/t.png) *bold*\n## Reviewer sign-off'
    await commitAuditReport(repo.dir, {id: 'd/good', verdict: 'PASS', auditor: 'risk', holdout: {summary, passed: true}})
    const deploy = rigor(repo.dir, ['deploy', 'd/good', '--stage', 'paper'])
    expect(deploy.code, deploy.stderr).toBe(0)
    const today = new Date().toISOString().slice(0, 10)
    expect(rigor(repo.dir, ['report']).code).toBe(0)
    const md = readFileSync(join(repo.dir, `reports/${today}.md`), 'utf8')
    const deployed = md.slice(md.indexOf('## Deployed'), md.indexOf('## Last 7 days'))
    expect(deployed).not.toMatch(/^## Reviewer/m)
    const holdout = deployed.slice(deployed.indexOf('Sealed holdout: '))
    expect(holdout).toContain('Sealed holdout: passed: Sharpe 1.00 from \\<img')
    // every <, *, [ of theirs escaped; the line break written as an escape
    expect(holdout).not.toMatch(/(?<!\\)[<*[]/)
    expect(holdout.trimEnd().split('\n')).toHaveLength(1)
  })

  it("draws the day's lineage only when GitHub can: a mermaid diagram within mermaid's 50,000 characters and 500 edges", () => {
    repo = workspace()
    writeSpec(repo.dir, familiesSpec(20, 20, SH_OK))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const report = rigor(repo.dir, ['report', '--json'])
    expect(report.code, report.stderr).toBe(0)
    const md = readFileSync(join(repo.dir, json(report).files[0]), 'utf8')
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(md)?.[1]
    if (diagram !== undefined) {
      expect(diagram.length).toBeLessThanOrEqual(50_000)
      expect(diagram.match(/-->|==>|-\.->/g)?.length ?? 0).toBeLessThanOrEqual(500)
    }
    // what is not drawn is said, with where to see it
    expect(md).toMatch(/420 nodes/)
    expect(md).toMatch(/rigor graph/)
  })
})
