import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {BIN, type CliResult, rigor, rigorAsync, verdictRunner} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {otlpReceiver, type ReceivedSpan} from '../helpers/otlp-receiver.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {freePort} from '../helpers/prometheus.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, commands send spans
 * (cycle -> step -> node run / agent call / audit) and metrics over OTLP/HTTP
 * to a receiver in this test; on SIGTERM what was recorded is still sent;
 * without the variable, no OpenTelemetry module is even loaded.
 * The CLI runs asynchronously here: the receiver answers from this process.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const FAKE_AGENT = resolve(__dirname, '../fixtures/fake-agent.mjs')
const PROBE = pathToFileURL(resolve(__dirname, '../fixtures/module-probe.mjs')).href

let repo: TempRepo | undefined
let receiver: Awaited<ReturnType<typeof otlpReceiver>> | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
  repo?.cleanup()
})

function commitConfig(dir: string, config: Record<string, unknown>) {
  writeFileSync(join(dir, 'rigor.yaml'), stringify({version: 1, teams: [{name: 'default'}], ...config}))
  repo!.git('add', '-A')
  repo!.git('commit', '-qm', 'config')
}

const only = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const found = spans.filter((s) => s.name === name)
  expect(
    found.map((s) => s.name),
    `one span "${name}" among ${spans.map((s) => s.name).join(', ')}`,
  ).toEqual([name])
  return found[0]!
}

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] => spans.filter((s) => s.parentSpanId === parent.spanId)

describe('OpenTelemetry over OTLP/HTTP', {timeout: SLOW}, () => {
  it('rigor cycle sends one trace: cycle -> steps -> agent call, node runs, audit, with ids, teams, statuses and costs; and metrics', async () => {
    repo = workspace()
    receiver = await otlpReceiver()
    const lines = readFileSync(join(ROOT, 'data/SYNTH-A.csv'), 'utf8').trimEnd().split('\n')
    mkdirSync(join(repo.dir, 'data'))
    writeFileSync(join(repo.dir, 'data/prices.csv'), `${lines.slice(0, 1201).join('\n')}\n`)
    commitConfig(repo.dir, {
      gates: [{name: 'all', accept_when: 'true'}],
      agent: {command: [process.execPath, FAKE_AGENT]},
      audit: {kit_permutations: 20, permutations: 2, seeds: [1], truncation_cuts: [0.75]},
    })
    writeSpec(repo.dir, {
      nodes: [
        {id: 'kit/mom', team: 'default', run: {command: ['rigor', 'backtest', '--strategy', 'momentum']}, data: 'data/prices.csv'},
        {id: 'paid/one', team: 'default', run: {command: verdictRunner({sharpe: 0.2}, {cost: {usd: 0.25}})}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)

    const cycle = await rigorAsync(repo.dir, ['cycle', '--design-count', '2', '--keep', '1', '--json'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    })
    expect(cycle.code, cycle.stderr).toBe(0)
    const spans = receiver.spans()
    const root = only(spans, 'rigor cycle')
    expect(root.parentSpanId).toBeUndefined()
    expect(root.attributes).toMatchObject({'rigor.command': 'cycle', 'rigor.cycle.id': JSON.parse(cycle.stdout).id})
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)

    const steps = childrenOf(spans, root)
    expect(steps.map((s) => s.name).sort()).toEqual(['step audit', 'step design', 'step rank', 'step report', 'step work'])
    const step = (name: string) => steps.find((s) => s.name === `step ${name}`)!

    const [agentCall, ...moreAgent] = childrenOf(spans, step('design'))
    expect(moreAgent).toEqual([])
    expect(agentCall!.name).toBe('agent call design')
    expect(agentCall!.attributes).toMatchObject({
      'rigor.agent.kind': 'design',
      'rigor.agent.attempts': 1,
      'rigor.cost_usd': 0.01,
      'rigor.agent.tokens_out': 200,
    })

    const runs = childrenOf(spans, step('work'))
    expect(runs.map((r) => r.name)).toEqual(['node run', 'node run', 'node run', 'node run'])
    const run = (id: string) => runs.find((r) => r.attributes['rigor.node.id'] === id)!
    expect(run('paid/one').attributes).toMatchObject({
      'rigor.node.team': 'default',
      'rigor.node.status': 'proven_accepted',
      'rigor.cost_usd': 0.25,
    })
    expect(run('kit/mom').attributes['rigor.node.status']).toBe('proven_accepted')
    expect(run('agent/idea-one').attributes['rigor.node.attempt']).toBe(1)
    expect(run('agent/idea-two').attributes['rigor.duration_s']).toBeGreaterThan(0)

    const [audit, ...moreAudits] = childrenOf(spans, step('audit'))
    expect(moreAudits).toEqual([])
    expect(audit!.name).toBe('audit')
    expect(audit!.attributes['rigor.node.id']).toBe('kit/mom')
    expect(audit!.attributes['rigor.audit.verdict']).toMatch(/^(PASS|FAIL)$/)
    expect(childrenOf(spans, step('rank'))).toEqual([])
    for (const s of spans) expect(s.status.code ?? 0, s.name).not.toBe(2)

    const metric = (name: string) => receiver!.metrics().find((m) => m.name === name)
    const sum = (name: string) => (metric(name)?.points ?? []).reduce((a, p) => a + p.value, 0)
    expect(sum('rigor.node.runs')).toBe(4)
    expect(metric('rigor.node.run.duration')?.unit).toBe('s')
    expect(sum('rigor.node.run.cost')).toBeCloseTo(0.25, 10)
    expect(sum('rigor.agent.calls')).toBe(1)
    expect(sum('rigor.audits')).toBe(1)
    expect(sum('rigor.cycle.steps')).toBe(5)
  })

  it('on SIGTERM, what was recorded is sent: a work loop that stops cleanly, and a command stopped mid agent call', async () => {
    repo = workspace()
    receiver = await otlpReceiver()
    const marker = join(repo.dir, 'agent-started')
    commitConfig(repo.dir, {
      agent: {
        command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, ''); setTimeout(() => {}, 120000)`],
      },
    })
    writeSpec(repo.dir, {nodes: [{id: 'slow/one', team: 'default', run: {command: ['sleep', '120']}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const env = {OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint}

    const work = rigorAsync(repo.dir, ['work'], env)
    await waitFor('the claim', () => repo!.git('log', '--format=%s', '-1', 'main').startsWith('rigor: claim slow/one'))
    work.kill('SIGTERM')
    expect((await work).code).toBe(143)
    const root = only(receiver.spans(), 'rigor work')
    expect(root.attributes['rigor.interrupted']).toBe('SIGTERM')
    const [run] = childrenOf(receiver.spans(), root)
    expect(run!.attributes).toMatchObject({'rigor.node.id': 'slow/one', 'rigor.node.status': 'released'})

    const design = rigorAsync(repo.dir, ['design'], env)
    await waitFor('the agent to start', () => existsSync(marker))
    design.kill('SIGTERM')
    expect((await design).code).toBe(143)
    // design stops cleanly (withAbort): the agent is stopped, and both spans say so before they are sent
    const stopped = only(receiver.spans(), 'rigor design')
    expect(stopped.attributes['rigor.interrupted']).toBe('SIGTERM')
    expect(stopped.status).toMatchObject({code: 2, message: expect.stringContaining('the design call was stopped by SIGTERM')})
    const [call] = childrenOf(receiver.spans(), stopped)
    expect(call!.name).toBe('agent call design')
    expect(call!.status).toMatchObject({code: 2, message: expect.stringContaining('the agent call was stopped')})
  })

  it('without OTEL_EXPORTER_OTLP_ENDPOINT no OpenTelemetry module is loaded; with it, the SDK is; a collector that is down is a warning', async () => {
    repo = workspace()
    receiver = await otlpReceiver()
    const scratch = mkdtempSync(join(tmpdir(), 'rigor-probe-'))
    const loaded = async (env: Record<string, string>): Promise<string[]> => {
      const log = join(scratch, `${Object.keys(env).length}.log`)
      const child = spawn(process.execPath, ['--import', PROBE, BIN, 'work'], {
        cwd: repo!.dir,
        env: {...process.env, ...GIT_ENV, MODULE_PROBE_LOG: log, OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env},
      })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const result = await new Promise<CliResult>((done) => child.on('close', (code) => done({code: code ?? -1, stdout: '', stderr})))
      expect(result.code, result.stderr).toBe(0)
      return readFileSync(log, 'utf8').split('\n')
    }
    try {
      const without = await loaded({})
      // the probe sees the CLI's own entry, so it saw every ES module; CommonJS ones are seen as compiled (below: dist/otel.cjs)
      expect(without.some((url) => url.endsWith('/bin/run.js'))).toBe(true)
      expect(without.filter((url) => url.includes('@opentelemetry') || /\/dist\/otel\.cjs$/.test(url))).toEqual([])
      const withEndpoint = await loaded({OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint})
      // the SDK: from node_modules, or the CLI's own bundle of it (scripts/bundle.mjs)
      expect(withEndpoint.some((url) => url.includes('@opentelemetry/sdk-trace-base') || /\/dist\/otel\.cjs$/.test(url))).toBe(true)
      expect(only(receiver.spans(), 'rigor work').attributes['rigor.command']).toBe('work')
      // a collector that is not there costs the command nothing but a warning
      const down = await rigorAsync(repo!.dir, ['work', '--json'], {OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`})
      expect(down.code, down.stderr).toBe(0)
      expect(JSON.parse(down.stdout).stopped_because).toBe('empty')
      expect(down.stderr).toMatch(/Warning: OpenTelemetry: spans were not sent \(.*ECONNREFUSED.*\); check OTEL_EXPORTER_OTLP_ENDPOINT/)
      // an endpoint that is no URL is said as such (the SDK would send to localhost:4318 instead, and blame the connection)
      const typo = await rigorAsync(repo!.dir, ['work', '--json'], {OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318'})
      expect(typo.code, typo.stderr).toBe(0)
      expect(typo.stderr).toBe(
        'Warning: OTEL_EXPORTER_OTLP_ENDPOINT "collector:4318" is not an http or https URL, so nothing is sent; set it to the collector\'s, e.g. http://localhost:4318\n',
      )
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })
})
