import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {alive, SLOW, waitFor} from '../helpers/processes.js'
import {freePort, hasTool} from '../helpers/prometheus.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * `rigor metrics --serve` scraped by a real Prometheus on loopback (Debian's
 * `prometheus` package), which then answers queries over its HTTP API: the
 * node count, a count that changes after a commit (every scrape reads the tip
 * again), and every query of the Grafana dashboard (each must parse and run).
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const DASHBOARD = join(ROOT, 'templates/grafana/rigor.json')

let repo: TempRepo | undefined
let scratch: string | undefined
const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) if (child.pid && alive(child.pid)) child.kill('SIGKILL')
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

async function query(
  port: number,
  promql: string,
): Promise<{status: string; error?: string; data?: {result: Array<{value: [number, string]}>}}> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`)
  return (await response.json()) as any
}

/** The single value of an instant query, or undefined while Prometheus has none. */
async function scalar(port: number, promql: string): Promise<number | undefined> {
  const answer = await query(port, promql).catch(() => undefined)
  const value = answer?.data?.result[0]?.value[1]
  return value === undefined ? undefined : Number(value)
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Every PromQL expression of the dashboard, with Grafana's variables given values Prometheus accepts. */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'))
  return dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr as string))
}

describe('rigor metrics --serve under a real Prometheus', {timeout: SLOW}, () => {
  it.skipIf(!hasTool('prometheus'))(
    'is scraped on loopback; queries see the state, follow a new commit, and run every dashboard query',
    async () => {
      repo = workspace()
      writeSpec(repo.dir, {
        nodes: ['a', 'b', 'c'].map((n) => ({id: `t/${n}`, team: 'default', run: {command: verdictRunner({sharpe: 1})}})),
      })
      expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
      expect(rigor(repo.dir, ['work']).code).toBe(0)

      const serve = rigorAsync(repo.dir, ['metrics', '--serve', '0'])
      started.push({pid: serve.pid, kill: serve.kill} as ChildProcess)
      await waitFor('rigor metrics --serve to listen', () => /serving http:\/\/127\.0\.0\.1:(\d+)\/metrics/.test(serve.output()))
      const target = /serving http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(serve.output())![1]!

      scratch = mkdtempSync(join(tmpdir(), 'rigor-prometheus-'))
      const port = await freePort()
      writeFileSync(
        join(scratch, 'prometheus.yml'),
        `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: rigor\n    static_configs: [{targets: ['${target}']}]\n`,
      )
      const prometheus = spawn(
        'prometheus',
        [
          `--config.file=${join(scratch, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(scratch, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        {stdio: ['ignore', 'ignore', 'pipe']},
      )
      started.push(prometheus)
      let prometheusLog = ''
      prometheus.stderr!.on('data', (d) => (prometheusLog += d))

      await until('Prometheus to scrape rigor', async () => (await scalar(port, 'up{job="rigor"}')) === 1).catch((err) => {
        throw new Error(`${err.message}\n${prometheusLog.slice(-3000)}`)
      })
      const status = json(rigor(repo.dir, ['status', '--json']))
      await until('the node count', async () => (await scalar(port, 'sum(rigor_nodes)')) === status.total)
      expect(await scalar(port, 'sum(rigor_nodes{status="proven_accepted"})')).toBe(3)
      expect(await scalar(port, 'sum(rigor_run_duration_seconds_count)')).toBe(3)

      // a commit moves the tip: the next scrape reads it
      writeSpec(
        repo.dir,
        {nodes: ['d', 'e'].map((n) => ({id: `t/${n}`, team: 'default', run: {command: verdictRunner({sharpe: 1})}}))},
        'more.yaml',
      )
      expect(await scalar(port, 'rigor_state_commits_total{action="seed"}')).toBe(1)
      expect(rigor(repo.dir, ['seed', 'more.yaml']).code).toBe(0)
      await until('the new nodes', async () => (await scalar(port, 'sum(rigor_nodes{status="pending"})')) === 2)
      expect(await scalar(port, 'sum(rigor_nodes)')).toBe(5)
      // the history is read on from the last tip seen: the new seed commit counted once, the claims still there
      await until('the new seed commit', async () => (await scalar(port, 'rigor_state_commits_total{action="seed"}')) === 2)
      expect(await scalar(port, 'rigor_state_commits_total{action="claim"}')).toBe(3)

      // the dashboard's queries parse and run ($__rate_interval and $__range as Grafana would fill them)
      for (const expr of dashboardQueries()) {
        const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h')
        const answer = await query(port, promql)
        expect(answer.status, `${promql}: ${answer.error}`).toBe('success')
      }

      prometheus.kill('SIGTERM')
      serve.kill('SIGTERM')
      const stopped = await serve
      expect(stopped.code, stopped.stderr).toBe(143)
      await waitFor('Prometheus to stop', () => !alive(prometheus.pid!))
    },
  )
})
