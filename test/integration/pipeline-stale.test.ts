import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {ok as runOk, pipelineWorkspace} from './pipeline-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ok = (args: string[]) => runOk(repo.dir, args)

// its own file: two whole pipelines run in it, beside the other pipeline tests
describe('stale results', () => {
  it('a retrained upstream marks its downstream stale in show, status and verify; running it again clears it', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['work'])
    // the same code run again writes the same bytes: nothing is stale
    expect(ok(['rerun', 'momentum/train']).stdout).toBe(
      'momentum/train is pending again (was proven_accepted); read by momentum/backtest, which turns stale if its outputs change\n',
    )
    expect(json(ok(['show', 'momentum/train', '--json'])).status).toBe('pending')
    ok(['work'])
    expect(json(ok(['status', '--json'])).stale).toEqual([])
    // a retrained model: other lookbacks
    const trainPath = join(repo.dir, 'stages/train.py')
    writeFileSync(trainPath, readFileSync(trainPath, 'utf8').replace('best = (int(lookback), s)', 'best = (int(lookback) + 3, s)'))
    repo.git('commit', '-qam', 'train: another model')
    const rerun = json(ok(['rerun', 'momentum/train', '--reason', 'new model', '--json']))
    expect(rerun).toMatchObject({id: 'momentum/train', was: 'proven_accepted', dependents: ['momentum/backtest']})
    ok(['work'])
    const status = json(ok(['status', '--json']))
    // the assessment read the backtest's outputs, made from the old model: stale with it, naming the cause
    expect(status.stale.map((s: {id: string}) => s.id)).toEqual(['momentum/backtest', 'momentum/assess'])
    expect(status.stale[0].why).toMatch(/momentum\/train's out\/model\.json changed since momentum\/backtest ran/)
    expect(status.stale[1].why).toMatch(/^input returns: momentum\/backtest is stale itself \(momentum\/train's out\/model\.json changed/)
    const shown = json(ok(['show', 'momentum/backtest', '--json']))
    expect(shown.stale).toEqual([expect.objectContaining({as: 'model', from: 'momentum/train'})])
    expect(json(ok(['show', 'momentum/assess', '--json'])).stale).toEqual([expect.objectContaining({from: 'momentum/backtest'})])
    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code).toBe(0)
    expect(json(verify).stale.map((s: {id: string}) => s.id)).toEqual(['momentum/backtest', 'momentum/assess'])
    expect(rigor(repo.dir, ['status']).stderr).toMatch(/stale: momentum\/backtest/)
    // the last stage rerun first would read the backtest's outputs, made from the old model: said, with what to rerun first
    const early = ok(['rerun', 'momentum/assess', '--json'])
    expect(json(early).stale_inputs).toEqual([
      {from: 'momentum/backtest', why: expect.stringMatching(/momentum\/train's out\/model\.json changed/)},
    ])
    ok(['cancel', 'momentum/assess'])
    // oclif wraps a warning at the terminal's width, each line behind a ›
    const said = ok(['rerun', 'momentum/assess']).stderr.replace(/[›\s]+/g, ' ')
    expect(said).toMatch(/momentum\/assess reads momentum\/backtest, which is stale itself \(momentum\/train's out\/model\.json/)
    expect(said).toMatch(/rerun momentum\/backtest first \(rigor rerun momentum\/backtest\)/)
    // the backtest run again reads the new model: no longer stale; its own downstream (assess) now is
    expect(json(ok(['rerun', 'momentum/backtest', '--json'])).stale_inputs).toEqual([])
    ok(['work'])
    const after = json(ok(['status', '--json']))
    expect(after.stale.map((s: {id: string}) => s.id)).not.toContain('momentum/backtest')
    const fingerprints = repo
      .git('log', '--diff-filter=AM', '--format=%H', 'main', '--', 'experiments/momentum/backtest/verdict.yaml')
      .split('\n')
      .map((c) => parse(repo.git('show', `${c}:experiments/momentum/backtest/verdict.yaml`)).fingerprint)
    // two runs on different models: two fingerprints
    expect(new Set(fingerprints).size).toBe(2)
  })

  it('a stage claimed before its upstream was rerun is put back to wait for it, not ended inconclusive', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['run', 'momentum/train'])
    expect(ok(['claim', '--worker', 'w1']).stdout.trim()).toBe('momentum/backtest')
    // the upstream is retrained between the claim and the run's staging of its inputs
    ok(['rerun', 'momentum/train'])
    const run = json(ok(['run', 'momentum/backtest', '--worker', 'w1', '--json']))
    expect(run).toMatchObject({kind: 'released', id: 'momentum/backtest'})
    expect(run.why).toMatch(/momentum\/train is pending/)
    const shown = json(ok(['show', 'momentum/backtest', '--json']))
    expect(shown).toMatchObject({status: 'pending', attempt: 0})
    expect(shown.verdict).toBeNull()
    // once the upstream is accepted again, the stage runs on its new outputs
    ok(['work'])
    expect(json(ok(['show', 'momentum/backtest', '--json'])).status).toBe('proven_accepted')
  })

  it('a stage put back while its upstream is blocked is blocked with it, not left pending on a requirement that failed', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['run', 'momentum/train'])
    ok(['run', 'momentum/backtest'])
    expect(ok(['claim', '--worker', 'w1']).stdout.trim()).toBe('momentum/assess')
    // while assess is claimed: both upstream stages are rerun and train now fails its gate, which blocks the backtest
    ok(['rerun', 'momentum/train'])
    ok(['rerun', 'momentum/backtest'])
    const configPath = join(repo.dir, 'rigor.yaml')
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('metrics.train_rows < 250"', 'metrics.train_rows < 100000"'))
    repo.git('commit', '-qam', 'a gate no train passes')
    ok(['run', 'momentum/train'])
    expect(json(ok(['show', 'momentum/backtest', '--json'])).status).toBe('blocked')
    const run = json(ok(['run', 'momentum/assess', '--worker', 'w1', '--json']))
    expect(run).toMatchObject({kind: 'released', id: 'momentum/assess'})
    expect(run.why).toMatch(/blocked: requirement momentum\/backtest ended blocked/)
    // unclaimed, it would have been blocked with the backtest: so it is now, and waits again once train is rerun
    const shown = json(ok(['show', 'momentum/assess', '--json']))
    expect(shown).toMatchObject({status: 'blocked', attempt: 0, reason: 'requirement momentum/backtest ended blocked'})
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('metrics.train_rows < 100000"', 'metrics.train_rows < 250"'))
    repo.git('commit', '-qam', 'the gate as it was')
    expect(json(ok(['rerun', 'momentum/train', '--json'])).unblocked).toEqual(['momentum/backtest', 'momentum/assess'])
    ok(['work'])
    expect(json(ok(['status', '--json'])).by_status).toMatchObject({proven_accepted: 3, blocked: 0})
  })

  it('a stage rerun after its gate rejected it brings back the stages it blocked; they run on the new outputs', () => {
    repo = pipelineWorkspace()
    const configPath = join(repo.dir, 'rigor.yaml')
    const config = readFileSync(configPath, 'utf8')
    writeFileSync(configPath, config.replace('metrics.train_rows < 250"', 'metrics.train_rows < 100000"'))
    repo.git('commit', '-qam', 'a gate no train passes')
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['work'])
    const before = json(ok(['status', '--json']))
    expect(before.by_status).toMatchObject({proven_rejected: 1, blocked: 2})
    // a blocked stage cannot run again before what blocked it: the refusal names it
    const early = rigor(repo.dir, ['rerun', 'momentum/backtest'])
    expect(early.code).toBe(1)
    expect(early.stderr).toMatch(/momentum\/train ended proven_rejected/)
    expect(early.stderr).toMatch(/rigor rerun momentum\/train/)
    // the gate fixed, the train stage retrained: its blocked stages wait for it again, transitively
    writeFileSync(configPath, config)
    repo.git('commit', '-qam', 'the gate as it was')
    const rerun = json(ok(['rerun', 'momentum/train', '--json']))
    expect(rerun).toMatchObject({id: 'momentum/train', was: 'proven_rejected', unblocked: ['momentum/backtest', 'momentum/assess']})
    expect(json(ok(['show', 'momentum/assess', '--json'])).status).toBe('pending')
    // asked twice (two people, a retried script): pending already, it runs at the next claim; nothing to do (exit 3, as
    // a cancel of a node that has ended), not a failure a retried script would stop on
    const twice = rigor(repo.dir, ['rerun', 'momentum/train', '--json'])
    expect(twice.code).toBe(3)
    expect(json(twice).error.reason).toBe('already_pending')
    expect(json(twice).error.message).toMatch(/node momentum\/train is pending/)
    expect(json(twice).error.fix).toMatch(/pending already: it runs when claimed \(rigor work, or rigor run momentum\/train\)/)
    ok(['work'])
    expect(json(ok(['status', '--json'])).by_status).toMatchObject({proven_accepted: 3, blocked: 0})
  })
})
