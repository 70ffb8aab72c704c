import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {rankTargets} from '../../src/core/flows/cycle-rank.js'
import {comparedMetrics} from '../../src/core/state/condition-metrics.js'
import {readCycleRecord} from '../../src/core/flows/cycle-records.js'
import {parseConfig} from '../../src/core/state/config.js'

const config = (yaml: string) => parseConfig(`version: 1\n${yaml}`, 'rigor.yaml')

describe("rigor.yaml's cycle section", () => {
  it('defaults to the steps the cycle always ran, each run once', () => {
    const cycle = config('').cycle
    expect(cycle.steps).toEqual(['design', 'work', 'audit', 'rank', 'report'])
    expect(cycle.assess).toEqual({enabled: true, skip: false, retry: 0, retry_delay: 10_000})
    expect(cycle.rank.metric).toBeUndefined()
  })

  it('reads steps, retries and durations', () => {
    const cycle = config(
      'cycle: {steps: [work, assess], work: {retry: 2, retry_delay: 1m}, rank: {metric: loss, direction: lower}}\n',
    ).cycle
    expect(cycle.steps).toEqual(['work', 'assess'])
    expect(cycle.work).toMatchObject({retry: 2, retry_delay: 60_000})
    expect(cycle.rank).toMatchObject({metric: 'loss', direction: 'lower', enabled: true})
  })

  it('refuses a step listed twice, a step before what it needs, an unknown step or field', () => {
    expect(() => config('cycle: {steps: [work, work]}\n')).toThrow(/cycle\.steps\[1\]".*listed twice/)
    expect(() => config('cycle: {steps: [audit, work]}\n')).toThrow(/cycle\.steps\[0\]".*needs "work", which comes after it/)
    expect(() => config('cycle: {steps: [train]}\n')).toThrow(/cycle\.steps\[0\]/)
    expect(() => config('cycle: {design: {retries: 2}}\n')).toThrow(/cycle\.design\.retries/)
    expect(() => config('cycle: {rank: {metric: "a b"}}\n')).toThrow(/cycle\.rank\.metric/)
  })
})

describe('what the cycle ranks by', () => {
  it('reads the metrics a condition compares, in order, with the direction it asks for', () => {
    expect(comparedMetrics('has(metrics.sharpe) && metrics.sharpe >= 0.3 || metrics["accuracy"] > 0.6')).toEqual([
      {metric: 'sharpe', higherIsBetter: true},
      {metric: 'accuracy', higherIsBetter: true},
    ])
    expect(comparedMetrics('0.2 > metrics.loss && metrics.max_drawdown<=0.3')).toEqual([
      {metric: 'loss', higherIsBetter: false},
      {metric: 'max_drawdown', higherIsBetter: false},
    ])
    expect(comparedMetrics('has(metrics.x) && params.k > 2')).toEqual([])
  })

  it('a comparison under a ! asks for the opposite; one between two metrics, or not parsed, for nothing', () => {
    expect(comparedMetrics('!(metrics.max_drawdown > 0.3) && metrics.sharpe >= -0.5')).toEqual([
      {metric: 'max_drawdown', higherIsBetter: false},
      {metric: 'sharpe', higherIsBetter: true},
    ])
    expect(comparedMetrics('!!(0.1 >= metrics["turnover"]) || !(metrics.hit_rate < 0.5)')).toEqual([
      {metric: 'turnover', higherIsBetter: false},
      {metric: 'hit_rate', higherIsBetter: true},
    ])
    expect(comparedMetrics('metrics.a > metrics.b')).toEqual([])
    expect(comparedMetrics('metrics.a > (')).toEqual([])
  })

  it('cycle.rank first, then the gates, then sharpe', () => {
    expect(rankTargets(config('cycle: {rank: {metric: loss, direction: lower}}\n'))).toEqual([
      {objective: 'sharpe', metric: 'loss', higherIsBetter: false, source: 'cycle.rank.metric'},
    ])
    expect(rankTargets(config('cycle: {rank: {objective: drawdown}}\n'))).toEqual([{objective: 'drawdown', source: 'cycle.rank.objective'}])
    const fromGates = rankTargets(
      config("gates: [{name: a, reject_when: 'metrics.sharpe < 0'}, {name: b, accept_when: 'metrics.auc > 0.7 && metrics.brier < 0.2'}]\n"),
    )
    expect(fromGates.map((t) => [t.metric, t.higherIsBetter, t.source])).toEqual([
      ['auc', true, 'gates[1].accept_when (gate b)'],
      ['brier', false, 'gates[1].accept_when (gate b)'],
      [undefined, undefined, 'default'],
    ])
    expect(rankTargets(config(''))).toEqual([{objective: 'sharpe', source: 'default'}])
  })
})

describe('cycle records', () => {
  it('reads the progress file an older rigor left as a cycle to resume, and names a damaged one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-cycle-'))
    try {
      const file = join(dir, 'cycle.json')
      writeFileSync(
        file,
        JSON.stringify({
          id: '2024-05-01T03-17-00-000Z',
          started_at: '2024-05-01T03:17:00.000Z',
          pid: 1,
          done: ['design', 'work'],
          results: {work: {finished: 3}},
        }),
      )
      const record = await readCycleRecord(file, 'cycle@host')
      expect(record).toMatchObject({version: 1, outcome: 'running', worker: 'cycle@host', pid_start: null})
      expect(record!.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
        'design:succeeded',
        'work:succeeded',
        'audit:pending',
        'rank:pending',
        'report:pending',
      ])
      expect(record!.steps[1]!.result).toEqual({finished: 3})
      writeFileSync(file, JSON.stringify({...record, outcome: 'done'}))
      await expect(readCycleRecord(file, 'cycle@host')).rejects.toThrow(/cycle\.json, field "outcome"/)
      writeFileSync(file, '{')
      await expect(readCycleRecord(file, 'cycle@host')).rejects.toThrow(/not JSON/)
      expect(await readCycleRecord(join(dir, 'none.json'), 'cycle@host')).toBeUndefined()
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
