#!/usr/bin/env node
// Refreshes the dashboard screenshots under docs/images/ (README.md and docs/site.md show them):
// runs `rigor demo` in a temporary folder (or uses the demo workspace given as the first
// argument), builds its site and photographs the overview, the DAG with a sweep expanded, and
// the page of the best node the demo kept, in headless Chromium (/usr/bin/chromium).
//   npm run build && node scripts/site-screenshots.mjs [demo-workspace]
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'run.js')
const IMAGES = join(ROOT, 'docs', 'images')
const CHROMIUM = '/usr/bin/chromium'

function rigor(args, cwd) {
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd, encoding: 'utf8', maxBuffer: 1 << 26})
  if (result.status !== 0) throw new Error(`rigor ${args.join(' ')} failed:\n${result.stderr}`)
  return result.stdout
}

if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: apt-get install chromium`)
const scratch = mkdtempSync(join(tmpdir(), 'rigor-screenshots-'))
try {
  let workspace = process.argv[2] && resolve(process.argv[2])
  if (!workspace) {
    workspace = join(scratch, 'rigor-demo')
    console.log(`running rigor demo in ${workspace} ...`)
    rigor(['demo', workspace, '--json'], scratch)
  }
  const site = join(scratch, 'site')
  rigor(['site', '--out', site, '--json'], workspace)
  const status = JSON.parse(rigor(['status', '--json'], workspace))
  const {default: puppeteer} = await import('puppeteer-core')
  const browser = await puppeteer.launch({executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true})
  mkdirSync(IMAGES, {recursive: true})
  try {
    const page = await browser.newPage()
    await page.setViewport({width: 1280, height: 860, deviceScaleFactor: 1})
    await page.goto(`file://${join(site, 'index.html')}`, {waitUntil: 'load'})
    await page.screenshot({path: join(IMAGES, 'site-overview.png')})
    await page.goto(`file://${join(site, 'dag.html')}`, {waitUntil: 'load'})
    // the sweep with the most variants, expanded in place by a click
    const sweep = await page.evaluate(() => {
      const count = (a) => Number(/sweep: (\d+) variant/.exec(a.textContent ?? '')?.[1] ?? 0)
      return [...document.querySelectorAll('a.expandable')].sort((a, b) => count(b) - count(a))[0]?.getAttribute('data-node')
    })
    if (sweep) {
      await page.click(`a.expandable[data-node="${sweep}"]`)
      const part = await page.evaluateHandle((id) => document.querySelector(`a[data-node="${id}"]`)?.closest('.dag-component'), sweep)
      await part.asElement()?.screenshot({path: join(IMAGES, 'site-dag.png')})
    }
    const best = JSON.parse(rigor(['rank', '--history', '--json'], workspace)).history[0]?.kept?.[0]
    if (best) {
      await page.goto(`file://${join(site, 'nodes', `${best.replaceAll('/', '~')}.html`)}`, {waitUntil: 'load'})
      // its verdict: metrics, gates, notes and the equity and drawdown chart
      await (await page.$('#verdict'))?.screenshot({path: join(IMAGES, 'site-node.png')})
    }
  } finally {
    await browser.close()
  }
  console.log(`wrote ${IMAGES}/site-*.png (${status.total} nodes)`)
} finally {
  rmSync(scratch, {recursive: true, force: true})
}
