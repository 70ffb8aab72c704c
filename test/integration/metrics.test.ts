import {spawnSync} from 'node:child_process'
import {request} from 'node:http'
import {readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rawStatus} from '../helpers/http.js'
import {stringify} from 'yaml'
import {claimNextNode} from '../../src/core/dag/claims.js'
import {policies} from '../../src/core/flows/policies.js'
import {recordHandClaim} from '../../src/core/flows/hand-run.js'
import {Workspace} from '../../src/core/state/workspace.js'
import {renderExposition} from '../../src/core/views/exposition.js'
import {MetricsCollector} from '../../src/core/views/metrics.js'
import {json, returnsRunner, rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {hasTool, parseExposition, total} from '../helpers/prometheus.js'
import {commitAuditReport} from './audit-commit.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * `rigor metrics`: text that promtool accepts, and numbers that agree with
 * what the state says through other commands and with the git history.
 */

const FAKE_AGENT = resolve(__dirname, '../fixtures/fake-agent.mjs')

let repo: TempRepo
afterEach(() => repo?.cleanup())

/** A claim that loses one race on its way: another commit lands on the branch between its read and its compare-and-swap. */
async function claimAfterALostRace(dir: string, git: TempRepo['git']): Promise<string> {
  const ws = await Workspace.open(dir)
  let raced = false
  try {
    const result = await claimNextNode(ws, {
      worker: 'racer',
      admission: async (w, snap) => {
        if (!raced) {
          raced = true
          const tip = git('rev-parse', 'main')
          git('update-ref', 'refs/heads/main', git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'someone else'), tip)
        }
        return policies.admission(w, snap)
      },
    })
    // as `rigor claim` would have: the `rigor run` of it that follows is the hand that claimed it
    await recordHandClaim(ws, result.claimed!)
    return result.claimed!.id
  } finally {
    await ws.close()
  }
}

const metricsText = () => {
  const result = rigor(repo.dir, ['metrics'])
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

describe('rigor metrics', {timeout: SLOW}, () => {
  it('counts a hand commit whose Rigor-Action names no action of rigor as other: no label of its text, no series per commit', () => {
    repo = workspace()
    const forged = 'a'.repeat(2000)
    repo.git('commit', '-q', '--allow-empty', '-m', 'by hand', '-m', `Rigor-Action: ${forged}`)
    repo.git('commit', '-q', '--allow-empty', '-m', 'by hand', '-m', 'Rigor-Action: verdictx')
    const out = rigor(repo.dir, ['metrics'])
    expect(out.code, out.stderr).toBe(0)
    const samples = parseExposition(out.stdout)
    expect(total(samples, 'rigor_state_commits_total', {action: 'other'})).toBe(2)
    expect(out.stdout).not.toContain(forged)
    expect(out.stdout).not.toContain('verdictx')
  })

  it('writes an exposition promtool accepts, whose numbers agree with status, health, the history and the records', async () => {
    repo = workspace()
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      stringify({
        version: 1,
        teams: [{name: 'default'}, {name: 'beta'}],
        gates: [{name: 'positive', reject_when: 'metrics.sharpe < 0', accept_when: 'metrics.sharpe >= 0'}],
        budget: {daily_usd: 5},
        lease: {duration: '2s'},
        agent: {command: [process.execPath, FAKE_AGENT]},
      }),
    )
    repo.git('add', 'rigor.yaml')
    repo.git('commit', '-qm', 'config')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'default/a', team: 'default', run: {command: returnsRunner({sharpe: 1}, {cost: {usd: 0.25}})}},
        {id: 'default/b', team: 'default', run: {command: returnsRunner({sharpe: -1}, {cost: {usd: 0.5}})}},
        {id: 'beta/c', team: 'beta', run: {command: returnsRunner({sharpe: 2})}},
        {id: 'beta/d', team: 'beta', run: {command: returnsRunner({sharpe: 2})}, priority: 9},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    // a worker that claims and vanishes: its lease of 2s runs out
    expect(json(rigor(repo.dir, ['claim', '--worker', 'ghost', '--json'])).claimed.id).toBe('beta/d')
    // one agent call on record (the fake agent reports $0.01 and 200 tokens out), and the two nodes it designed
    expect(rigor(repo.dir, ['design', '--count', '2']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    writeSpec(repo.dir, {nodes: [{id: 'beta/e', team: 'beta', run: {command: returnsRunner({sharpe: 0.5})}}]}, 'more.yaml')
    expect(rigor(repo.dir, ['seed', 'more.yaml']).code).toBe(0)
    expect(await claimAfterALostRace(repo.dir, repo.git)).toBe('beta/e')
    expect(rigor(repo.dir, ['run', 'beta/e']).code).toBe(0)
    await commitAuditReport(repo.dir, {id: 'default/a', verdict: 'FAIL', auditor: 'risk', covers: 'nothing'})
    await waitFor('the ghost lease to pass', () => json(rigor(repo.dir, ['health', '--json'])).checks[3].value === 1)

    const text = metricsText()
    if (hasTool('promtool')) {
      const check = spawnSync('promtool', ['check', 'metrics'], {input: text, encoding: 'utf8'})
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0)
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('')
    } else console.warn('promtool not installed (Debian package prometheus): the exposition was not checked by it')
    const samples = parseExposition(text)

    const status = json(rigor(repo.dir, ['status', '--json']))
    for (const [s, n] of Object.entries(status.by_status)) expect(total(samples, 'rigor_nodes', {status: s}), s).toBe(n)
    for (const [team, counts] of Object.entries<Record<string, number>>(status.by_team))
      for (const [s, n] of Object.entries(counts)) expect(total(samples, 'rigor_nodes', {team, status: s}), `${team} ${s}`).toBe(n)
    // runs: one verdict per finished node
    const finished = status.by_status.proven_accepted + status.by_status.proven_rejected + status.by_status.inconclusive
    expect(finished).toBe(6)
    expect(total(samples, 'rigor_run_duration_seconds_count')).toBe(finished)
    expect(total(samples, 'rigor_run_duration_seconds_count', {team: 'default', status: 'proven_rejected'})).toBe(1)
    expect(total(samples, 'rigor_run_duration_seconds_bucket', {le: '+Inf'})).toBe(finished)
    expect(total(samples, 'rigor_run_cost_usd_total', {team: 'default'})).toBeCloseTo(0.75, 10)
    expect(total(samples, 'rigor_gate_results_total', {gate: 'positive', result: 'reject'})).toBe(1)
    expect(total(samples, 'rigor_gate_results_total', {gate: 'positive', result: 'accept'})).toBe(status.by_status.proven_accepted)
    // audits, and health's view of them
    const health = json(rigor(repo.dir, ['health', '--json']))
    const check = (name: string) => health.checks.find((c: any) => c.name === name).value
    expect(total(samples, 'rigor_audits_total', {verdict: 'FAIL'})).toBe(1)
    expect(total(samples, 'rigor_audits_total', {verdict: 'PASS'})).toBe(0)
    expect(total(samples, 'rigor_audit_backlog')).toBe(check('audit_backlog'))
    // the accepted runs that wrote out/returns.csv (default/a, beta/c, beta/e; beta/d's lease is stuck) less the one
    // audited: the two the agent designed were accepted too, but wrote no returns, so rigor audit cannot judge them
    expect(status.by_status.proven_accepted).toBe(5)
    expect(total(samples, 'rigor_audit_backlog')).toBe(2)
    expect(total(samples, 'rigor_audit_failed_ratio')).toBe(1)
    expect(total(samples, 'rigor_leases_stuck')).toBe(1)
    expect(total(samples, 'rigor_health_score')).toBe(check('score'))
    // the day's budget: the runs' costs and the agent call's
    expect(total(samples, 'rigor_budget_spent_usd')).toBeCloseTo(0.76, 10)
    expect(total(samples, 'rigor_budget_daily_usd')).toBe(5)
    expect(total(samples, 'rigor_budget_remaining_usd')).toBeCloseTo(4.24, 10)
    // the agent call's record
    expect(total(samples, 'rigor_agent_calls_total', {kind: 'design', agent: 'agent:node', outcome: 'ok'})).toBe(1)
    expect(total(samples, 'rigor_agent_attempts_total', {kind: 'design'})).toBe(1)
    expect(total(samples, 'rigor_agent_tokens_total', {kind: 'design', direction: 'out'})).toBe(200)
    expect(total(samples, 'rigor_agent_tokens_total', {kind: 'design', direction: 'in'})).toBeGreaterThan(100)
    expect(total(samples, 'rigor_agent_cost_usd_total', {kind: 'design'})).toBeCloseTo(0.01, 10)
    expect(total(samples, 'rigor_agent_call_duration_seconds_count', {kind: 'design'})).toBe(1)
    expect(total(samples, 'rigor_agent_call_duration_seconds_sum', {kind: 'design'})).toBeGreaterThan(0)
    // the history: claims and their lost races, as git log tells them
    const log = (grep: string) => repo.git('log', '--format=%H', `--grep=${grep}`, 'main').split('\n').filter(Boolean).length
    expect(total(samples, 'rigor_claims_total')).toBe(log('^Rigor-Action: claim$'))
    expect(total(samples, 'rigor_claims_total')).toBe(7)
    expect(log('^Rigor-Conflicts: 1$')).toBe(1)
    expect(total(samples, 'rigor_claim_conflicts_total')).toBe(1)
    expect(total(samples, 'rigor_state_commits_total', {action: 'verdict'})).toBe(log('^Rigor-Action: verdict$'))
    expect(total(samples, 'rigor_state_last_change_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 3600)

    // --json says the same, sample for sample
    const asJson = json(rigor(repo.dir, ['metrics', '--json']))
    expect(asJson.commit).toBe(repo.git('rev-parse', 'main'))
    const fromJson = asJson.families.flatMap((f: any) => f.samples)
    expect(fromJson).toEqual(samples)

    // the supervisor takes the lease back: counted as an expiry, no longer stuck
    expect(rigor(repo.dir, ['supervise', '--once']).code).toBe(0)
    const after = parseExposition(metricsText())
    expect(total(after, 'rigor_lease_expiries_total', {outcome: 'requeued'})).toBe(1)
    expect(total(after, 'rigor_lease_expiries_total', {outcome: 'inconclusive'})).toBe(0)
    expect(total(after, 'rigor_leases_stuck')).toBe(0)
    expect(total(after, 'rigor_nodes', {team: 'beta', status: 'pending'})).toBe(1)
  })

  it('counts only whole, non-negative numbers of lost races and re-queues: a hand-written trailer cannot make a counter shrink or +Inf', () => {
    repo = workspace()
    const trailer = (subject: string, ...lines: string[]) =>
      repo.git('commit', '-q', '--allow-empty', '-m', subject, '-m', lines.join('\n'))
    trailer('claim x', 'Rigor-Action: claim', 'Rigor-Conflicts: 2')
    for (const bad of ['-7', '1e400', '2.5', 'lots', '9'.repeat(400)]) trailer('claim y', 'Rigor-Action: claim', `Rigor-Conflicts: ${bad}`)
    trailer('rigor: supervise: 1 re-queued, 0 expired, 0 blocked', 'Rigor-Action: requeue')
    trailer(`rigor: supervise: ${'9'.repeat(400)} re-queued, 0 expired, 0 blocked`, 'Rigor-Action: requeue')
    const text = metricsText()
    const samples = parseExposition(text)
    expect(total(samples, 'rigor_claims_total')).toBe(6)
    expect(total(samples, 'rigor_claim_conflicts_total')).toBe(2)
    expect(total(samples, 'rigor_lease_expiries_total', {outcome: 'requeued'})).toBe(1)
    expect(text).not.toMatch(/Inf|NaN/)
  })

  it('keeps counting the runs a rerun took off the tree: run counters never shrink, read at once or scrape by scrape', async () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [{id: 'd/a', team: 'default', run: {command: verdictRunner({sharpe: 1}, {cost: {usd: 0.25}})}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const ws = await Workspace.open(repo.dir)
    // the collector --serve keeps between scrapes: it reads the history from the last tip seen
    const collector = new MetricsCollector()
    const scrape = async () => parseExposition(renderExposition((await collector.collect(ws)).families))
    const counters = (samples: ReturnType<typeof parseExposition>) => ({
      runs: total(samples, 'rigor_run_duration_seconds_count'),
      cost: total(samples, 'rigor_run_cost_usd_total'),
      accepted: total(samples, 'rigor_gate_results_total', {result: 'accept'}),
    })
    try {
      await scrape()
      expect(rigor(repo.dir, ['work']).code).toBe(0)
      expect(counters(await scrape())).toEqual({runs: 1, cost: 0.25, accepted: 1})
      expect(rigor(repo.dir, ['rerun', 'd/a']).code).toBe(0)
      expect(counters(await scrape())).toEqual({runs: 1, cost: 0.25, accepted: 1})
      expect(rigor(repo.dir, ['work']).code).toBe(0)
      expect(rigor(repo.dir, ['rerun', 'd/a']).code).toBe(0)
      expect(rigor(repo.dir, ['work']).code).toBe(0)
      expect(counters(await scrape())).toEqual({runs: 3, cost: 0.75, accepted: 3})
      expect(counters(parseExposition(metricsText()))).toEqual({runs: 3, cost: 0.75, accepted: 3})
    } finally {
      await ws.close()
    }
  })

  it('--serve: a scrape that fails answers 500 with the reason and the fix, and the warning says the fix too', async () => {
    repo = workspace()
    const serve = rigorAsync(repo.dir, ['metrics', '--serve', '0'])
    try {
      await waitFor('rigor metrics --serve to listen', () => /serving http:\/\/127\.0\.0\.1:(\d+)\/metrics/.test(serve.output()))
      const url = /serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(serve.output())![1]!
      expect((await fetch(url)).status).toBe(200)
      writeFileSync(join(repo.dir, 'rigor.yaml'), `${readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')}\nleas: {duration: 5m}\n`)
      repo.git('commit', '-qam', 'a typo')
      const failed = await fetch(url)
      expect(failed.status).toBe(500)
      const body = await failed.text()
      expect(body).toContain('field "leas"')
      expect(body).toMatch(/\nFix: .*rigor\.yaml/)
    } finally {
      serve.kill('SIGTERM')
    }
    const ended = await serve
    expect(ended.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(/a scrape failed: .*field "leas".* Fix: .*rigor\.yaml/)
  })

  it('--serve: a request whose target is no URL path answers 400, and the server goes on serving', async () => {
    repo = workspace()
    const serve = rigorAsync(repo.dir, ['metrics', '--serve', '0'])
    try {
      await waitFor('rigor metrics --serve to listen', () => /serving http:\/\/127\.0\.0\.1:(\d+)\/metrics/.test(serve.output()))
      const url = /serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(serve.output())![1]!
      // `//a:b` reads as a host with a bad port: no URL can be made of it
      expect(await rawStatus(url, '//a:b')).toBe(400)
      expect((await fetch(url)).status).toBe(200)
    } finally {
      serve.kill('SIGTERM')
    }
    const ended = await serve
    expect(ended.code).toBe(143)
    expect(ended.stderr).not.toMatch(/TypeError|Invalid URL/)
  })

  it('--serve on loopback answers only requests addressed to its loopback names (no DNS rebinding); on 0.0.0.0, any name', async () => {
    repo = workspace()
    const statusFor = (port: number, host: string) =>
      new Promise<number>((resolvePromise, reject) => {
        const req = request({host: '127.0.0.1', port, path: '/metrics', headers: {host}}, (res) => {
          res.resume()
          resolvePromise(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    const listening = async (serve: ReturnType<typeof rigorAsync>) => {
      await waitFor('rigor metrics --serve to listen', () => /serving http:\/\/[\d.]+:(\d+)\/metrics/.test(serve.output()))
      return Number(/serving http:\/\/[\d.]+:(\d+)\/metrics/.exec(serve.output())![1])
    }
    const loopback = rigorAsync(repo.dir, ['metrics', '--serve', '0'])
    try {
      const port = await listening(loopback)
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`])
        expect(await statusFor(port, host), host).toBe(200)
      // a page of another site whose name now resolves to 127.0.0.1 sends that name; the port must be this one
      for (const host of [`rebound.example:${port}`, 'rebound.example', `127.0.0.1:${port + 1}`, '127.0.0.1'])
        expect(await statusFor(port, host), host).toBe(421)
    } finally {
      loopback.kill('SIGTERM')
    }
    expect((await loopback).code).toBe(143)
    // reachable from other machines: they name it as they know it
    const anywhere = rigorAsync(repo.dir, ['metrics', '--serve', '0', '--host', '0.0.0.0'])
    try {
      const port = await listening(anywhere)
      expect(await statusFor(port, `metrics.lab.example:${port}`)).toBe(200)
    } finally {
      anywhere.kill('SIGTERM')
    }
    expect((await anywhere).code).toBe(143)
  })

  it('gives every team an archived series and every stage and status a deployments series before any has one, as rigor_nodes does', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({version: 1, teams: [{name: 'default'}, {name: 'beta'}]}))
    repo.git('commit', '-qam', 'two teams')
    const samples = parseExposition(metricsText())
    const series = (name: string) =>
      samples
        .filter((s) => s.name === name)
        .map((s) => `${JSON.stringify(s.labels)} ${s.value}`)
        .sort()
    expect(series('rigor_nodes_archived')).toEqual(['{"team":"beta"} 0', '{"team":"default"} 0'])
    expect(series('rigor_deployments')).toEqual([
      '{"stage":"live","status":"active"} 0',
      '{"stage":"live","status":"rolled_back"} 0',
      '{"stage":"paper","status":"active"} 0',
      '{"stage":"paper","status":"rolled_back"} 0',
    ])
    expect(series('rigor_nodes')).toContain('{"team":"beta","status":"pending"} 0')
  })

  it('refuses --host without --serve, and a host that is no address (exit 2)', () => {
    repo = workspace()
    const lonely = rigor(repo.dir, ['metrics', '--host', '127.0.0.1'])
    expect(lonely.code).toBe(2)
    expect(lonely.stderr).toMatch(/--serve/)
    const bad = rigor(repo.dir, ['metrics', '--serve', '0', '--host', 'a b;c'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--host.*neither an IP address nor a host name/)
  })
})
