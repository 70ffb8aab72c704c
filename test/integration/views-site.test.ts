import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {HAS_CHROMIUM, launchChromium, watchedPage} from '../helpers/browser.js'
import {rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// what a runner named, as the site lays it out: a name of any length stays readable, and so does everything beside it
let repo: TempRepo
let scratch: string | undefined
afterEach(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

describe('the site with long names from a runner', () => {
  it.skipIf(!HAS_CHROMIUM)(
    "a metric named with thousands of characters wraps in its row: the node page's metric values stay on the page (skipped without /usr/bin/chromium)",
    async () => {
      repo = workspace()
      const long = `m${'x'.repeat(3000)}`
      writeSpec(repo.dir, {
        nodes: [nodeSpec('text/long', verdictRunner({sharpe: 1.25, [long]: 7}), {params: {[`p${'q'.repeat(2000)}`]: 1}})],
      })
      expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
      expect(rigor(repo.dir, ['work']).code).toBe(0)
      scratch = mkdtempSync(join(tmpdir(), 'rigor-views-site-'))
      const site = rigor(repo.dir, ['site', '--out', scratch])
      expect(site.code, site.stderr).toBe(0)
      const browser = await launchChromium()
      try {
        const {page, problems} = await watchedPage(browser)
        await page.setViewport({width: 1280, height: 900})
        await page.goto(`file://${join(scratch, 'nodes/text~long.html')}`, {waitUntil: 'load'})
        const cells = await page.evaluate(() =>
          [...document.querySelectorAll('#metrics td, #params td')].map((td) => {
            const box = td.getBoundingClientRect()
            const panel = td.closest('.panel')!.getBoundingClientRect()
            return {text: td.textContent, left: box.left, right: box.right, panelRight: panel.right}
          }),
        )
        expect(problems).toEqual([])
        expect(cells.map((c) => c.text)).toEqual(expect.arrayContaining(['1.2500', '7']))
        for (const cell of cells) expect(cell.right, `${cell.text} is drawn past its panel`).toBeLessThanOrEqual(cell.panelRight)
        await page.close()
      } finally {
        await browser.close()
      }
    },
    SLOW,
  )
})

describe('rigor site --serve', () => {
  it(
    "answers only requests addressed to its own loopback names (no DNS rebinding), with the pages' policy as a header",
    async () => {
      repo = workspace()
      scratch = mkdtempSync(join(tmpdir(), 'rigor-views-serve-'))
      const serving = rigorAsync(repo.dir, ['site', '--serve', '0', '--out', join(scratch, 'site'), '--interval', '0.5'])
      try {
        await waitFor('the server', () => /serving http:\/\/127\.0\.0\.1:\d+\//.test(serving.output()))
        const port = Number(/serving http:\/\/127\.0\.0\.1:(\d+)\//.exec(serving.output())![1])
        const get = (path: string, host: string) =>
          new Promise<{status: number; csp: unknown}>((resolve, reject) => {
            const req = request({host: '127.0.0.1', port, path, headers: {host}}, (res) => {
              res.resume()
              resolve({status: res.statusCode ?? 0, csp: res.headers['content-security-policy']})
            })
            req.on('error', reject)
            req.end()
          })
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
          const page = await get('/index.html', host)
          expect(page.status, host).toBe(200)
          expect(page.csp).toMatch(/^default-src 'none'; script-src 'self'/)
        }
        // a page of another site whose name now resolves to 127.0.0.1 sends that name
        for (const path of ['/index.html', '/__rigor/events']) expect((await get(path, `rebound.example:${port}`)).status, path).toBe(421)
        expect((await get('/index.html', '127.0.0.1')).status).toBe(421)
      } finally {
        serving.kill('SIGTERM')
      }
      expect((await serving).code).toBe(143)
    },
    SLOW,
  )
})

describe('the site with text a runner wrote', () => {
  it('shows bidirectional overrides and control characters of notes and params as escapes, not reordered text; such a metric name is refused', () => {
    repo = workspace()
    const RTL = '\u202e'
    writeSpec(repo.dir, {
      nodes: [
        nodeSpec('text/bidi', verdictRunner({sharpe: 1, [`ok${RTL}LIAF`]: 2}, {notes: `line one\nverdict: ${RTL}LIAF\u001b[2J`}), {
          params: {mode: `a${RTL}b`},
        }),
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    scratch = mkdtempSync(join(tmpdir(), 'rigor-views-bidi-'))
    expect(rigor(repo.dir, ['site', '--out', scratch]).code).toBe(0)
    const page = readFileSync(join(scratch, 'nodes/text~bidi.html'), 'utf8')
    expect(page).not.toMatch(/[\u001b\u202e]/)
    // a metric named with a bidirectional override is left out of the verdict (validation.ts, lookAlikeProblem)
    expect(page).not.toContain('LIAF</th>')
    expect(page).toContain('line one\nverdict: \\u202eLIAF\\u001b[2J')
    expect(page).toContain('a\\u202eb')
  })
})
