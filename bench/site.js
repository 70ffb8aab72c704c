#!/usr/bin/env node
// bench/site: `rigor site` on workspaces of 1,000 and 10,000 nodes, against `rigor status
// --json` on the same workspace in the same run. The state is written straight through the
// library (what rigor seed and rigor work would commit): sweeps of 100 variants over four
// teams, each variant finished with a verdict (accepted, rejected or inconclusive), its
// metrics and its own out/returns.csv (3 years of daily returns), so every node page has a
// chart. Measured: a cold build (empty folder), a rebuild with nothing new, and a rebuild
// after one more commit (what --watch does); then the size of the biggest pages and, with
// /usr/bin/chromium, how long the overview, the first DAG page and a node page take to load.
// Env: BENCH_SIZES (default 1000,10000), BENCH_ROUNDS (default 3), BENCH_KEEP=1 keeps the workspaces (to profile).
import {existsSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {BIN, ENV, fmt, median, tempWorkspace, time} from './lib.js'
import {Workspace} from '../dist/core/state/workspace.js'
import {renderNode, verdictChange} from '../dist/core/state/node-files.js'

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const VARIANTS = 100
const ROWS = 750
const TEAMS = ['trend', 'reversion', 'carry', 'control']
const CHROMIUM = '/usr/bin/chromium'

/** a small seeded generator: the same workspace every run */
function rng(seed) {
  let state = seed >>> 0
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

async function writeState(dir, count) {
  const ws = await Workspace.open(dir)
  const random = rng(42)
  const created = new Date(Date.UTC(2026, 0, 5)).toISOString()
  const dates = Array.from({length: ROWS}, (_, t) => new Date(Date.UTC(2021, 0, 4) + t * 86_400_000).toISOString().slice(0, 10))
  try {
    for (let start = 0; start < count; start += 1000) {
      const files = new Map()
      const ids = []
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const sweep = Math.floor(i / VARIANTS)
        const team = TEAMS[sweep % TEAMS.length]
        const group = `${team}/strategy-${String(sweep).padStart(4, '0')}`
        if (i % VARIANTS === 0) {
          const {node, text} = renderNode({id: group, team, status: 'pending', sweep: true, run: {command: ['true']}, created_at: created})
          files.set(`experiments/${node.id}/node.yaml`, text)
        }
        const id = `${group}/lookback-${i % VARIANTS}`
        const roll = random()
        const status = roll < 0.3 ? 'proven_accepted' : roll < 0.8 ? 'proven_rejected' : 'inconclusive'
        const {text} = renderNode({
          id,
          team,
          status,
          parent: group,
          params: {lookback: i % VARIANTS, threshold: Number(random().toFixed(3))},
          run: {command: ['rigor', 'backtest', '--strategy', 'momentum']},
          data: 'data/SYNTH-A.csv',
          created_at: created,
          attempt: 1,
          worker: 'bench',
          reason: `gate backtest ${status === 'inconclusive' ? 'none' : 'decided'}`,
        })
        files.set(`experiments/${id}/node.yaml`, text)
        const drift = (random() - 0.4) * 0.002
        const returns = dates.map((d) => `${d},${(drift + 0.01 * (random() - 0.5) * 2).toFixed(6)}`)
        files.set(`experiments/${id}/out/returns.csv`, `date,return\n${returns.join('\n')}\n`)
        const [path, verdictText] = verdictChange({
          node: id,
          status,
          decided_by: 'gate',
          metrics: {
            sharpe: Number((drift * 400 + random() - 0.5).toFixed(4)),
            max_drawdown: Number((random() * 0.4).toFixed(4)),
            total_return: Number((drift * ROWS).toFixed(4)),
          },
          gates: [{name: 'backtest', result: status === 'proven_accepted' ? 'accept' : status === 'proven_rejected' ? 'reject' : 'none'}],
          worker: 'bench',
          attempt: 1,
          started_at: created,
          finished_at: created,
          duration_s: 2,
        })
        files.set(path, verdictText)
        ids.push(id)
      }
      await ws.commit(async () => ({
        files,
        message: {action: 'seed', subject: `bench: ${ids.length} finished nodes`, nodes: ids.slice(0, 50)},
        result: undefined,
      }))
    }
  } finally {
    await ws.close()
  }
}

const cli = (dir, args) => {
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd: dir, env: ENV, maxBuffer: 1 << 28, encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`rigor ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

const sizeOf = (file) => (existsSync(file) ? statSync(file).size : 0)
const kb = (bytes) => `${fmt(bytes / 1024, 0)} KB`

async function pageLoads(site) {
  if (!existsSync(CHROMIUM)) return undefined
  const {default: puppeteer} = await import('puppeteer-core')
  const browser = await puppeteer.launch({executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true})
  const node = readdirSync(join(site, 'nodes'))[0]
  const out = {}
  try {
    for (const [name, path] of [
      ['overview', 'index.html'],
      ['DAG page 1', 'dag.html'],
      ['a node page', `nodes/${node}`],
    ]) {
      const times = []
      for (let i = 0; i < ROUNDS; i++) {
        const page = await browser.newPage()
        const started = process.hrtime.bigint()
        await page.goto(`file://${join(site, path)}`, {waitUntil: 'load'})
        times.push(Number(process.hrtime.bigint() - started) / 1e9)
        await page.close()
      }
      out[name] = median(times)
    }
  } finally {
    await browser.close()
  }
  return out
}

for (const count of SIZES) {
  const ws = tempWorkspace()
  try {
    const made = await (async () => {
      const started = process.hrtime.bigint()
      await writeState(ws.dir, count)
      return Number(process.hrtime.bigint() - started) / 1e9
    })()
    console.log(`\n${count} nodes (${count / VARIANTS} sweeps of ${VARIANTS}) written through the library in ${fmt(made)} s`)
    const status = () => time(() => cli(ws.dir, ['status', '--json'])).seconds
    status() // the first read parses every node file into the cache; both commands then start warm
    const baseline = median(Array.from({length: ROUNDS}, status))
    const site = join(ws.dir, '.bench-site')
    const build = () => time(() => JSON.parse(cli(ws.dir, ['site', '--out', site, '--json'])))
    const cold = build()
    const unchanged = median(Array.from({length: ROUNDS}, () => build().seconds))
    writeFileSync(join(ws.dir, 'one.yaml'), 'nodes:\n  - {id: late/one, team: default, run: {command: ["true"]}}\n')
    cli(ws.dir, ['seed', 'one.yaml'])
    const afterCommit = build()
    console.log(`rigor status --json (baseline): ${fmt(baseline, 3)} s (median of ${ROUNDS})`)
    console.log(
      `rigor site, cold (empty folder): ${fmt(cold.seconds)} s, ratio ${fmt(cold.seconds / baseline)}; ${cold.value.written} files (${cold.value.pages} pages, ${cold.value.charts} charts)`,
    )
    console.log(`rigor site, nothing new: ${fmt(unchanged)} s, ratio ${fmt(unchanged / baseline)}`)
    console.log(
      `rigor site, after one commit: ${fmt(afterCommit.seconds)} s, ratio ${fmt(afterCommit.seconds / baseline)}; ${afterCommit.value.written} files written`,
    )
    const dagPages = readdirSync(site).filter((f) => /^dag(-\d+)?\.html$/.test(f))
    const biggestNode = Math.max(...readdirSync(join(site, 'nodes')).map((f) => sizeOf(join(site, 'nodes', f))))
    console.log(
      `pages: overview ${kb(sizeOf(join(site, 'index.html')))}, ${dagPages.length} DAG page(s) of up to ${kb(Math.max(...dagPages.map((f) => sizeOf(join(site, f)))))}, leaderboard ${kb(sizeOf(join(site, 'leaderboard.html')))}, node pages up to ${kb(biggestNode)}`,
    )
    const loads = await pageLoads(site)
    if (loads)
      console.log(
        `load in Chromium (median of ${ROUNDS}): ${Object.entries(loads)
          .map(([name, s]) => `${name} ${fmt(s * 1000, 0)} ms`)
          .join(', ')}`,
      )
    rmSync(site, {recursive: true, force: true})
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${ws.dir}`)
    else ws.cleanup()
  }
}
