import {copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {HAS_CHROMIUM, launchChromium, watchedPage} from '../helpers/browser.js'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW} from '../helpers/processes.js'
import {writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * `rigor site` on a real workspace (a sweep of backtests, a rule spawn, a
 * ranking, an audit, a node whose params and notes carry markup, and a node
 * file under a folder named with markup), driven in headless Chromium: every
 * page loads without a console error, the counts are `rigor status --json`'s,
 * a node page shows its verdict, chart and audit, and strings from the state
 * stay text. --watch and --serve: site-live.test.ts.
 */

const ROOT = resolve(__dirname, '../..')
const ARTIFACTS = join(ROOT, 'test', 'artifacts')
const XSS = {
  key: '<script>window.__xss = "param key"</script>',
  value: '<img src=x onerror="window.__xss = \'param value\'">',
  note: '</pre><script>window.__xss = "notes"</script><b>bold?</b>',
}
const XSS_NODE = 'control/xss'
/** a node file committed by hand under a folder whose name is markup: the overview lists it as unusable */
const BAD_DIR = ['experiments', '<script>window.__xss = "path"<', 'script>']
const MOMENTUM = 'const lb = params.lookback ?? 60; return close.map((c, t) => (t >= lb && c > close[t - lb] ? 1 : 0))'
const nodePage = (site: string, id: string) => join(site, 'nodes', `${id.replaceAll('/', '~')}.html`)

let repo: TempRepo
let scratch: string
let site: string
let built: any
let status: any
let audited: string

beforeAll(() => {
  repo = workspace()
  scratch = mkdtempSync(join(tmpdir(), 'rigor-site-test-'))
  mkdirSync(join(repo.dir, 'data'))
  copyFileSync(join(ROOT, 'data/SYNTH-A.csv'), join(repo.dir, 'data/SYNTH-A.csv'))
  writeFileSync(
    join(repo.dir, 'rigor.yaml'),
    `version: 1
teams: [{name: trend}, {name: control}]
gates:
  - {name: backtest, reject_when: 'metrics.sharpe < 0.3', accept_when: 'metrics.sharpe >= 0.3'}
rules:
  - name: slow-down
    on: [proven_accepted]
    when: 'has(params.lookback) && params.lookback < 200'
    spawn: [{as: child, name: slower, params: {lookback: 200}}]
audit: {permutations: 6}
max_generations: 1
`,
  )
  const runner = writeRunner(repo.dir, 'momentum', MOMENTUM)
  repo.git('add', '.')
  repo.git('commit', '-qm', 'data, runner and config')
  writeSpec(repo.dir, {
    sweeps: [
      {id: 'trend/momentum', team: 'trend', run: {command: ['node', runner]}, data: 'data/SYNTH-A.csv', grid: {lookback: [20, 60, 250]}},
    ],
    nodes: [
      {
        id: XSS_NODE,
        team: 'control',
        run: {command: verdictRunner({sharpe: 0.1, max_drawdown: 0.3}, {notes: XSS.note})},
        params: {[XSS.key]: XSS.value},
      },
    ],
  })
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
  const work = rigor(repo.dir, ['work', '--worker', 'runner', '--parallel', '2', '--json'])
  expect(work.code, work.stderr).toBe(0)
  const ranked = json(rigor(repo.dir, ['rank', '--objective', 'sharpe', '--keep', '1', '--by', 'ranker', '--json']))
  audited = ranked.ranking.kept[0]
  expect(audited, JSON.stringify(ranked)).toBeTruthy()
  const audit = rigor(repo.dir, ['audit', audited, '--auditor', 'risk', '--json'])
  expect(audit.code, audit.stderr).toBe(0)
  mkdirSync(join(repo.dir, ...BAD_DIR), {recursive: true})
  writeFileSync(join(repo.dir, ...BAD_DIR, 'node.yaml'), 'id: "<img src=x onerror=alert(6)>"\n')
  repo.git('add', 'experiments')
  repo.git('commit', '-qm', 'a broken node file')
  site = join(scratch, 'site')
  const result = rigor(repo.dir, ['site', '--out', site, '--json'])
  expect(result.code, result.stderr).toBe(0)
  built = json(result)
  status = json(rigor(repo.dir, ['status', '--json']))
}, SLOW)

afterAll(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

describe('rigor site', () => {
  it(
    'writes every page from the branch tip, incrementally, and never into a folder of other files',
    () => {
      expect(built.index).toBe(join(site, 'index.html'))
      expect(built.commit).toBe(status.commit)
      expect(built.nodes).toBe(status.total + status.sweeps)
      expect(status.problems).toHaveLength(1)
      for (const page of ['index.html', 'dag.html', 'leaderboard.html', 'audits.html', 'budget.html', 'log.html', '.nojekyll'])
        expect(existsSync(join(site, page)), page).toBe(true)
      const overview = readFileSync(built.index, 'utf8')
      expect(overview).toContain(`data-count="total">${status.total}<`)
      expect(overview).toContain(`data-count="proven_accepted">${status.by_status.proven_accepted}<`)
      // the audited node's page has its verdict, its returns chart and its audit with the checks
      const page = readFileSync(nodePage(site, audited), 'utf8')
      expect(page).toMatch(/id="verdict" data-verdict="proven_accepted"/)
      const chart = /<img class="chart" id="equity-chart" src="\.\.\/(charts\/[0-9a-f]+\.svg)"/.exec(page)
      expect(chart, 'equity chart').not.toBeNull()
      expect(readFileSync(join(site, chart![1]!), 'utf8')).toContain('class="equity"')
      expect(page).toMatch(/<article class="audit" data-audit="(PASS|FAIL)">/)
      expect(page.match(/<span class="badge r-(pass|fail|info|skipped|error)">/g)!.length).toBeGreaterThan(3)

      // again into a copy, with nothing new on the branch: only version.json changes, and the overview, which says when it
      // was built, unless this build is in the same second as the first
      const out = join(scratch, 'site-again')
      cpSync(site, out, {recursive: true})
      const again = json(rigor(repo.dir, ['site', '--out', out, '--json']))
      expect(again.written).toBeGreaterThanOrEqual(1)
      expect(again.written).toBeLessThanOrEqual(2)
      expect(again.unchanged).toBe(built.written - again.written)
      // a file an earlier build wrote and this one does not is removed; a file it never wrote is left alone
      const manifestFile = join(out, '.rigor-site.json')
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
      manifest.files['nodes/gone~node.html'] = 'old'
      writeFileSync(manifestFile, JSON.stringify(manifest))
      writeFileSync(join(out, 'nodes', 'gone~node.html'), 'old page')
      writeFileSync(join(out, 'mine.txt'), 'not the site')
      const third = json(rigor(repo.dir, ['site', '--out', out, '--json']))
      expect(third.removed).toBe(1)
      expect(existsSync(join(out, 'nodes', 'gone~node.html'))).toBe(false)
      expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('not the site')

      // a folder of other files is refused (exit 2), and nothing is written into it
      const other = join(scratch, 'not-a-site')
      mkdirSync(other)
      writeFileSync(join(other, 'notes.md'), 'mine')
      const refused = rigor(repo.dir, ['site', '--out', other])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('--out')
      expect(readdirSync(other)).toEqual(['notes.md'])
    },
    SLOW,
  )

  it('escapes every string from the state: params, notes and the paths of unusable files stay text', () => {
    const page = readFileSync(nodePage(site, XSS_NODE), 'utf8')
    const overview = readFileSync(join(site, 'index.html'), 'utf8')
    for (const text of [page, overview]) {
      expect(text).not.toMatch(/<script>(window|alert)/)
      expect(text).not.toMatch(/<img src=x/)
      expect(text.match(/<script\b/g)).toHaveLength(1)
    }
    expect(page).toContain('&lt;script&gt;window.__xss = &quot;param key&quot;&lt;/script&gt;')
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;window.__xss = &quot;notes&quot;&lt;/script&gt;')
    expect(overview).toContain('experiments/&lt;script&gt;window.__xss = &quot;path&quot;&lt;/script&gt;/node.yaml')
  })

  it.skipIf(!HAS_CHROMIUM)(
    'loads in Chromium without a console error; counts, node page, DAG expansion and XSS checked in the browser (skipped without /usr/bin/chromium)',
    async () => {
      const out = site
      const shown = json(rigor(repo.dir, ['show', audited, '--json']))
      mkdirSync(ARTIFACTS, {recursive: true})
      const browser = await launchChromium()
      try {
        // every page of the site loads cleanly, node pages included
        const pages = ['index.html', 'dag.html', 'leaderboard.html', 'audits.html', 'budget.html', 'log.html']
        for (const id of [audited, XSS_NODE, 'trend/momentum', 'trend/momentum/lookback-60'])
          pages.push(`nodes/${id.replaceAll('/', '~')}.html`)
        for (const path of pages) {
          const {page, problems} = await watchedPage(browser)
          await page.setViewport({width: 1280, height: 900})
          await page.goto(`file://${join(out, path)}`, {waitUntil: 'load'})
          const facts = await page.evaluate(() => ({
            xss: (window as unknown as {__xss?: string}).__xss,
            scripts: document.scripts.length,
            images: [...document.images].map((img) => ({src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0})),
          }))
          expect(problems, path).toEqual([])
          expect(facts.xss, path).toBeUndefined()
          expect(facts.scripts, path).toBe(1)
          for (const img of facts.images) expect(img.ok, `${path}: ${img.src}`).toBe(true)
          await page.close()
        }

        // the overview's counts are rigor status --json's
        const {page, problems} = await watchedPage(browser)
        await page.setViewport({width: 1280, height: 900})
        await page.goto(`file://${join(out, 'index.html')}`, {waitUntil: 'load'})
        const counts = await page.evaluate(() =>
          Object.fromEntries([...document.querySelectorAll('[data-count]')].map((el) => [el.getAttribute('data-count'), el.textContent])),
        )
        expect(Number(counts.total)).toBe(status.total)
        for (const [s, n] of Object.entries(status.by_status)) expect(Number(counts[s]), s).toBe(n)
        expect(Number(counts.sweeps)).toBe(status.sweeps)
        expect(Number(counts.archived)).toBe(status.archived)
        const byTeam = await page.evaluate(() =>
          Object.fromEntries(
            [...document.querySelectorAll('#by-team tr[data-team]')].map((row) => [
              row.getAttribute('data-team'),
              Object.fromEntries(
                [...row.querySelectorAll('td[data-status]')].map((td) => [td.getAttribute('data-status'), Number(td.textContent)]),
              ),
            ]),
          ),
        )
        for (const [team, teamCounts] of Object.entries(status.by_team as Record<string, Record<string, number>>))
          for (const [s, n] of Object.entries(teamCounts)) expect(byTeam[team]?.[s], `${team} ${s}`).toBe(n)
        await page.screenshot({path: join(ARTIFACTS, 'site-overview.png'), fullPage: true})

        // a node page: its verdict, its equity and drawdown chart drawn, its audit with the checks
        await page.goto(`file://${nodePage(out, audited)}`, {waitUntil: 'load'})
        const node = await page.evaluate(() => {
          const chart = document.querySelector('#equity-chart') as HTMLImageElement | null
          return {
            verdict: document.querySelector('#verdict')?.getAttribute('data-verdict'),
            chartWidth: chart?.naturalWidth ?? 0,
            chartShown: chart ? chart.getBoundingClientRect().height : 0,
            audit: document.querySelector('article.audit')?.getAttribute('data-audit'),
            checks: document.querySelectorAll('article.audit table.checks tbody tr').length,
            metrics: document.querySelector('#metrics')?.textContent ?? '',
          }
        })
        expect(node.verdict).toBe(shown.verdict.status)
        expect(node.chartWidth).toBe(760)
        expect(node.chartShown).toBeGreaterThan(200)
        expect(node.audit).toBe(shown.audits[0].verdict)
        expect(node.checks).toBe(shown.audits[0].checks.length)
        expect(node.metrics).toContain('sharpe')
        await page.screenshot({path: join(ARTIFACTS, 'site-node.png'), fullPage: true})

        // the DAG: the sweep is one box; a click expands it in place into its variants, another collapses it
        await page.goto(`file://${join(out, 'dag.html')}`, {waitUntil: 'load'})
        const boxes = () =>
          page.evaluate(() => [...document.querySelectorAll('.dag-view [data-node]')].map((el) => el.getAttribute('data-node')))
        const collapsed = await boxes()
        expect(collapsed).toContain('trend/momentum')
        expect(collapsed).not.toContain('trend/momentum/lookback-60')
        await page.click('.dag-view a.expandable[data-node="trend/momentum"]')
        const expanded = await boxes()
        for (const lookback of [20, 60, 250]) expect(expanded).toContain(`trend/momentum/lookback-${lookback}`)
        expect(page.url()).toMatch(/dag\.html$/)
        await page.click('[data-collapse]')
        expect(await boxes()).toEqual(collapsed)

        // markup in params and notes is shown as text
        await page.goto(`file://${nodePage(out, XSS_NODE)}`, {waitUntil: 'load'})
        const xss = await page.evaluate(() => ({
          params: document.querySelector('#params')?.textContent ?? '',
          notes: document.querySelector('#notes')?.textContent ?? '',
          injected: document.querySelectorAll('#params *:not(tbody):not(tr):not(th):not(td), #notes *').length,
          flag: (window as unknown as {__xss?: string}).__xss,
        }))
        expect(xss.params).toContain(XSS.key)
        expect(xss.params).toContain(JSON.stringify(XSS.value))
        expect(xss.notes).toBe(XSS.note)
        expect(xss.injected).toBe(0)
        expect(xss.flag).toBeUndefined()
        expect(problems).toEqual([])
      } finally {
        await browser.close()
      }
    },
    SLOW,
  )
})
