import {afterEach, describe, expect, it} from 'vitest'
import {json} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {ok, pipelineWorkspace} from './pipeline-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('auditing a pipeline’s backtest', () => {
  it('the template’s honest out-of-sample backtest is not flagged: its accounting checks, its truncated copies run, its train stage is no competing trial', () => {
    repo = pipelineWorkspace()
    ok(repo.dir, ['seed', 'templates/pipeline.seed.yaml'])
    ok(repo.dir, ['work', '--parallel', '2'])
    // the audit's verdict may be FAIL on the DSR (a weak edge is not proven), never on a check that calls it a cheat
    const audit = json(ok(repo.dir, ['audit', 'momentum/backtest', '--auditor', 'risk', '--json']))
    const result = (name: string) => audit.checks.find((c: {name: string}) => c.name === name)
    // the record starts out of sample: the first return's cost is the change from the position two rows back
    expect(result('accounting.consistency').result).toBe('pass')
    expect(result('robustness.costs').result).toBe('pass')
    // the 60% cut ends inside the training window: the backtest trades nothing there, and runs
    expect(result('lookahead.truncation').result).toBe('pass')
    expect(result('leakage.permutation').result).toBe('pass')
    const dsr = result('overfitting.dsr')
    expect(dsr.figures.trials).toBe(1)
    expect(audit.family.counted).toContain('not counted, stages of its own pipeline: momentum/train')
    expect(audit.issues.filter((i: {category: string}) => ['lookahead', 'leakage'].includes(i.category))).toEqual([])
  })
})
