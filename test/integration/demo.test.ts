import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {SLOW, waitFor} from '../helpers/processes.js'

let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('rigor demo', () => {
  it('runs the whole cycle on bundled data in a fresh workspace', {timeout: SLOW}, () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    const target = join(dir, 'demo')
    const result = rigor(dir, ['demo', target, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const demo = json(result)
    expect(demo.seeded).toBeGreaterThanOrEqual(40)
    expect(demo.work.finished).toBeGreaterThanOrEqual(demo.seeded)
    expect(demo.status.by_status.pending).toBe(0)
    expect(demo.status.by_status.proven_accepted).toBeGreaterThan(0)
    expect(demo.status.by_status.proven_rejected).toBeGreaterThan(0)
    // a trending symbol rewards trend following; the control symbol rewards nothing
    expect(demo.best[0].team === 'trend' || demo.best[0].team === 'overlay').toBe(true)
    const status = json(rigor(target, ['status', '--json']))
    expect(status.by_team.control?.proven_accepted ?? 0).toBe(0)
    const shown = json(rigor(target, ['show', demo.best[0].id, '--json']))
    expect(shown.verdict.artifacts['out/returns.csv']).toMatch(/^sha256:/)
    expect(demo.audits.length).toBeGreaterThan(0)
    for (const a of demo.audits) expect(['PASS', 'FAIL']).toContain(a.verdict)
    expect(json(rigor(target, ['show', demo.audits[0].id, '--json'])).audits).toHaveLength(1)
    // a winner goes to paper only with a PASS audit
    expect(demo.deployed !== null).toBe(demo.audits.some((a: {verdict: string}) => a.verdict === 'PASS'))
    expect(demo.ranking).toMatch(/^reports\/rankings\//)
    expect(demo.report[0]).toMatch(/^reports\/\d{4}-\d{2}-\d{2}\.md$/)
    expect(json(rigor(target, ['rank', '--history', '--json'])).history).toHaveLength(1)
    // it ends by writing the dashboard, whose counts are the status's
    expect(demo.site).toBe(join(target, 'site', 'index.html'))
    expect(readFileSync(demo.site, 'utf8')).toContain(`data-count="total">${status.total}<`)
    expect(existsSync(join(target, 'site', 'nodes', `${demo.best[0].id.replaceAll('/', '~')}.html`))).toBe(true)
    expect(rigor(target, ['verify']).code).toBe(0)
    expect(rigor(target, ['status']).code).toBe(0)
    // the dashboard is an output, ignored: the demo leaves git status clean
    expect(execFileSync('git', ['status', '--porcelain'], {cwd: target, encoding: 'utf8'})).toBe('')
    // every seed spec the demo leaves in its templates/ seeds in it (already seeded: nothing new)
    for (const spec of readdirSync(join(target, 'templates'))) {
      const seeded = rigor(target, ['seed', `templates/${spec}`])
      expect(seeded.code, `${spec}: ${seeded.stderr}`).toBe(0)
    }
  })

  it('Ctrl-C after the work step stops the audit under way and starts no later step (deploy, rank, report, site)', {
    timeout: SLOW,
  }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    const target = join(dir, 'demo')
    const demo = rigorAsync(dir, ['demo', target])
    // the work step's summary line: the audits start next, and take seconds
    await waitFor('the work step to end', () => /^work: /m.test(demo.output()), SLOW)
    demo.kill('SIGINT')
    const result = await demo
    expect(result.code, result.stderr).toBe(130)
    expect(result.stdout).toMatch(/^stopped: interrupted (during|after) the audit step$/m)
    expect(result.stdout).not.toMatch(/^(deploy|rank|report|site): /m)
    expect(existsSync(join(target, 'deployments', 'paper'))).toBe(false)
    expect(existsSync(join(target, 'reports', 'rankings'))).toBe(false)
    expect(existsSync(join(target, 'site'))).toBe(false)
    // the claims were put back and what was committed is intact
    expect(json(rigor(target, ['status', '--json'])).by_status.running).toBe(0)
    expect(rigor(target, ['verify']).code).toBe(0)
  })

  it('refuses a directory that is not empty', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    writeFileSync(join(dir, 'keep.txt'), 'mine')
    const result = rigor(dir, ['demo', dir])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('not empty')
  })

  it('a demo whose workspace cannot be made leaves no throwaway auditor key behind in the temporary folder', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    const temp = join(dir, 'tmp')
    mkdirSync(temp)
    // git's answers about a path with a line break cannot be read: init refuses it, after the key was made
    const result = rigor(dir, ['demo', 'bad\nname'], {TMPDIR: temp})
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toContain('line break')
    expect(readdirSync(temp).filter((name) => name.startsWith('rigor-demo-key-'))).toEqual([])
  })

  it('a TMPDIR that does not exist is named as the setting to fix (exit 2), and no empty workspace folder is left', () => {
    dir = mkdtempSync(join(tmpdir(), 'rigor-demo-test-'))
    const result = rigor(dir, ['demo', 'd1', '--json'], {TMPDIR: join(dir, 'no-such-folder')})
    expect(result.code, result.stdout).toBe(2)
    const error = json(result).error
    expect(error.message).toMatch(/^field "TMPDIR": the temporary folder .*no-such-folder cannot hold a new folder \(ENOENT\)$/)
    expect(error.fix).toContain('set TMPDIR to a folder that exists')
    expect(existsSync(join(dir, 'd1'))).toBe(false)
  })
})
