import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {ok as runOk, pipelineWorkspace} from './pipeline-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ok = (args: string[]) => runOk(repo.dir, args)

describe('designing in a pipeline', () => {
  it('the built-in designer refines no stage that feeds another, none without a Sharpe, and never a cost: the template has none to refine', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['work'])
    // train feeds backtest and has no Sharpe (train_fraction-0.45 would feed nothing); backtest feeds assess and its
    // one param is cost_bps (a lower cost is a better Sharpe by assumption); assess has no param
    const design = json(ok(['design', '--count', '10', '--json']))
    expect(design.designer).toBe('rigor:refine')
    expect(design.seeded).toEqual([])
    expect(design.invalid).toEqual([])
  })

  it('the built-in designer refines a last stage with a Sharpe with its inputs and requirements, so the refined stage reads its upstream', () => {
    repo = pipelineWorkspace()
    // a last stage of the training model: a strategy param it refines, a cost param it does not
    const stage = [
      "const fs = require('fs')",
      "const model = JSON.parse(fs.readFileSync(process.env.RIGOR_INPUT_MODEL, 'utf8'))",
      'const p = JSON.parse(process.env.RIGOR_PARAMS)',
      'const metrics = {sharpe: 1 + p.lookback_offset / 100 - p.cost_bps / 1000, trades: 5, days: 100, lookback: model.lookback + p.lookback_offset}',
      "fs.writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics}))",
    ].join('\n')
    writeFileSync(
      join(repo.dir, 'offset.seed.yaml'),
      stringify({
        nodes: [
          {
            id: 'momentum/offset',
            team: 'backtest',
            run: {command: [process.execPath, '-e', stage]},
            params: {lookback_offset: 10, cost_bps: 5},
            inputs: [{from: 'momentum/train', files: ['model.json'], as: 'model'}],
          },
        ],
      }),
    )
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['seed', 'offset.seed.yaml'])
    ok(['work'])
    const design = json(ok(['design', '--count', '10', '--json']))
    expect(design.designer).toBe('rigor:refine')
    expect(design.seeded).toEqual(['momentum/offset/lookback_offset-8', 'momentum/offset/lookback_offset-13'])
    for (const id of design.seeded) {
      const shown = json(ok(['show', id, '--json']))
      expect(shown.params.cost_bps).toBe(5)
      expect(shown.inputs).toEqual([{from: 'momentum/train', files: ['model.json'], as: 'model'}])
      expect(shown.requires).toEqual(['momentum/train'])
    }
    ok(['work'])
    for (const id of design.seeded) {
      const shown = json(ok(['show', id, '--json']))
      expect(shown.status, `${id}: ${shown.reason}`).toBe('proven_accepted')
      expect(shown.verdict.inputs[0]).toMatchObject({as: 'model', from: 'momentum/train'})
    }
  })

  it('the template runs a whole unattended cycle: design (nothing of the template to refine), work, audit, report; nothing fails', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    const cycle = json(rigor(repo.dir, ['cycle', '--parallel', '2', '--json']))
    const failed = cycle.steps.filter((s: {status: string}) => s.status !== 'succeeded')
    expect(failed, JSON.stringify(failed)).toEqual([])
    expect(cycle.outcome).toBe('succeeded')
    expect(cycle.steps.map((s: {name: string}) => s.name)).toEqual(['design', 'work', 'audit', 'report'])
    expect(json(ok(['status', '--json'])).by_status.inconclusive).toBe(0)
  })
})
