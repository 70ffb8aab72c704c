import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const _sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

/** A workspace made by `rigor init --template pipeline`. */
function pipelineWorkspace(): TempRepo {
  const made = gitRepo()
  const init = rigor(made.dir, ['init', '--template', 'pipeline'])
  expect(init.code, init.stderr).toBe(0)
  expect(init.stdout).toContain('templates/pipeline.seed.yaml')
  return made
}

const ok = (args: string[], dir = repo.dir) => {
  const result = rigor(dir, args)
  expect(result.code, `rigor ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

/** a file's committed bytes, exactly (the helper's git() trims) */
const _committed = (path: string): Buffer => execFileSync('git', ['show', `main:${path}`], {cwd: repo.dir})

// its own file: two whole pipelines run in it, beside the other pipeline tests
describe('stale results', () => {
  it('a retrained upstream marks its downstream stale in show, status and verify; running it again clears it', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    ok(['work'])
    // the same code run again writes the same bytes: nothing is stale
    ok(['rerun', 'momentum/train'])
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
    expect(status.stale.map((s: {id: string}) => s.id)).toEqual(['momentum/backtest'])
    expect(status.stale[0].why).toMatch(/momentum\/train's out\/model\.json changed/)
    const shown = json(ok(['show', 'momentum/backtest', '--json']))
    expect(shown.stale).toEqual([expect.objectContaining({as: 'model', from: 'momentum/train'})])
    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code).toBe(0)
    expect(json(verify).stale.map((s: {id: string}) => s.id)).toEqual(['momentum/backtest'])
    expect(rigor(repo.dir, ['status']).stderr).toMatch(/stale: momentum\/backtest/)
    // the backtest run again reads the new model: no longer stale; its own downstream (assess) now is
    ok(['rerun', 'momentum/backtest'])
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
})
