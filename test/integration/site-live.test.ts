import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer, type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {rawStatus} from '../helpers/http.js'
import {HAS_CHROMIUM, launchChromium, watchedPage} from '../helpers/browser.js'
import {rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * `rigor site --watch` and `--serve`: the site follows the state branch as
 * commits land, a served page reloads itself after a build (in Chromium), the
 * server answers on loopback and only for the site's files, and both stop
 * cleanly on SIGINT / SIGTERM.
 */

const nodePage = (site: string, id: string) => join(site, 'nodes', `${id.replaceAll('/', '~')}.html`)

let repo: TempRepo
let scratch: string

beforeAll(() => {
  repo = workspace()
  scratch = mkdtempSync(join(tmpdir(), 'rigor-site-live-'))
  writeSpec(repo.dir, {nodes: [{id: 'first/node', team: 'default', run: {command: verdictRunner({sharpe: 1})}}]})
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner']).code).toBe(0)
}, SLOW)

afterAll(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

function seedOne(id: string): string {
  const file = `${id.replace('/', '-')}.yaml`
  writeSpec(repo.dir, {nodes: [{id, team: 'default', run: {command: ['true']}}]}, file)
  expect(rigor(repo.dir, ['seed', file]).code).toBe(0)
  return repo.git('rev-parse', 'main')
}

describe('rigor site, live', () => {
  it(
    '--watch rebuilds when the state branch moves, and stops cleanly on SIGINT',
    async () => {
      const out = join(scratch, 'site-watch')
      const watching = rigorAsync(repo.dir, ['site', '--watch', '--out', out, '--interval', '0.5'])
      try {
        await waitFor('the first build', () => watching.output().includes('site: '))
        const tip = seedOne('extra/late')
        await waitFor('a rebuild at the new tip', () => watching.output().includes(`at ${tip.slice(0, 12)}`))
        expect(existsSync(nodePage(out, 'extra/late'))).toBe(true)
        expect(JSON.parse(readFileSync(join(out, 'version.json'), 'utf8')).commit).toBe(tip)
      } finally {
        watching.kill('SIGINT')
      }
      const done = await watching
      expect(done.code, done.stderr).toBe(130)
      expect(done.stderr).not.toMatch(/Error/)
    },
    SLOW,
  )

  it(
    '--watch --remote fetches the remote every --interval and rebuilds when another clone moved the branch there',
    async () => {
      const bare = join(scratch, 'remote.git')
      const git = (cwd: string, ...args: string[]) =>
        execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
      git(scratch, 'clone', '-q', '--bare', repo.dir, bare)
      const [watcher, other] = ['watcher', 'other'].map((name) => {
        const dir = join(scratch, name)
        git(scratch, 'clone', '-q', bare, dir)
        return dir
      })
      const out = join(scratch, 'site-remote')
      const watching = rigorAsync(watcher!, ['site', '--watch', '--remote', 'origin', '--out', out, '--interval', '0.5'])
      try {
        await waitFor('the first build', () => watching.output().includes('site: '))
        writeSpec(other!, {nodes: [{id: 'remote/pushed', team: 'default', run: {command: ['true']}}]}, 'pushed.yaml')
        expect(rigor(other!, ['seed', 'pushed.yaml', '--remote', 'origin']).code).toBe(0)
        const tip = git(bare, 'rev-parse', 'main')
        await waitFor('a rebuild at the remote tip', () => watching.output().includes(`at ${tip.slice(0, 12)}`))
        expect(existsSync(nodePage(out, 'remote/pushed'))).toBe(true)
      } finally {
        watching.kill('SIGTERM')
      }
      const done = await watching
      expect(done.code, done.stderr).toBe(143)
    },
    SLOW,
  )

  it(
    '--serve serves the site on 127.0.0.1 with live reload, refuses a busy port, and stops cleanly on SIGTERM',
    async () => {
      // a port in use: exit 2, nothing written
      const busy = createServer().listen(0, '127.0.0.1')
      await new Promise((r) => busy.once('listening', r))
      const busyPort = (busy.address() as AddressInfo).port
      const refusedOut = join(scratch, 'site-refused')
      const refused = rigor(repo.dir, ['site', '--serve', String(busyPort), '--out', refusedOut])
      busy.close()
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('in use')
      expect(existsSync(refusedOut)).toBe(false)

      const out = join(scratch, 'site-serve')
      const serving = rigorAsync(repo.dir, ['site', '--serve', '0', '--out', out, '--interval', '0.5'])
      let url = ''
      try {
        await waitFor('the server', () => /serving (http:\/\/127\.0\.0\.1:\d+\/)/.test(serving.output()))
        url = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(serving.output())![1]!
        const index = await fetch(url)
        expect(index.status).toBe(200)
        expect(index.headers.get('content-type')).toContain('text/html')
        expect(await index.text()).toContain('name="rigor-live"')
        expect((await fetch(`${url}nodes/first~node.html`)).status).toBe(200)
        // nothing outside the folder, and not the builder's manifest
        expect(await rawStatus(url, '/..%2f..%2f..%2fetc%2fpasswd')).toBe(404)
        // a target no URL can be made of (a host with a bad port): the request's fault, not the server's
        expect(await rawStatus(url, '//a:b')).toBe(400)
        expect((await fetch(`${url}.rigor-site.json`)).status).toBe(404)
        expect((await fetch(url, {method: 'POST'})).status).toBe(405)

        if (HAS_CHROMIUM) {
          const browser = await launchChromium()
          try {
            const {page, problems} = await watchedPage(browser)
            await page.goto(url, {waitUntil: 'load'})
            // the page has its event stream open (the server named the current build) before the branch moves
            await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'connected', {timeout: 90_000})
            await page.evaluate(() => ((window as unknown as {__before?: boolean}).__before = true))
            const reloaded = page.waitForNavigation({timeout: 90_000})
            const tip = seedOne('extra/live')
            await reloaded
            expect(await page.evaluate(() => (window as unknown as {__before?: boolean}).__before)).toBeUndefined()
            expect(await page.evaluate(() => document.querySelector('#commit')?.textContent)).toBe(tip)
            expect(problems).toEqual([])
          } finally {
            await browser.close()
          }
        }
      } finally {
        serving.kill('SIGTERM')
      }
      const done = await serving
      expect(done.code, done.stderr).toBe(143)
      await expect(fetch(url)).rejects.toThrow()
    },
    SLOW,
  )
})
