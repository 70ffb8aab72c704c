import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {ok as runOk, pipelineWorkspace} from './pipeline-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ok = (args: string[]) => runOk(repo.dir, args)

describe('designing in a pipeline', () => {
  it('the built-in designer refines a stage with its inputs and requirements, so the refined stage reads its upstream', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['work'])
    const design = json(ok(['design', '--count', '10', '--json']))
    expect(design.designer).toBe('rigor:refine')
    const refined = design.seeded.filter((id: string) => id.startsWith('momentum/backtest/'))
    expect(refined.length).toBeGreaterThan(0)
    for (const id of refined) {
      const shown = json(ok(['show', id, '--json']))
      expect(shown.inputs).toEqual([{from: 'momentum/train', files: ['model.json'], as: 'model'}])
      expect(shown.requires).toEqual(['momentum/train'])
    }
    ok(['work'])
    for (const id of refined) {
      const shown = json(ok(['show', id, '--json']))
      expect(shown.status, `${id}: ${shown.reason}`).toBe('proven_accepted')
      expect(shown.verdict.inputs[0]).toMatchObject({as: 'model', from: 'momentum/train'})
    }
  })

  it('the template runs a whole unattended cycle: design refines its stages, work runs them, nothing fails', () => {
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
