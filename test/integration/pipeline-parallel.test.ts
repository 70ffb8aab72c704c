import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {committed as committedAt, ok as runOk, sha256} from './pipeline-helpers.js'
import {writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ok = (args: string[]) => runOk(repo.dir, args)
const committed = (path: string) => committedAt(repo.dir, path)

// its own file, so that it runs beside the other pipeline tests (each round is 10 nodes, 20 commits)
describe('parallel stages', () => {
  it('5 backtests each read their own upstream model under --parallel 4, in 5 rounds', () => {
    repo = gitRepo()
    ok(['init', '--template', 'pipeline'])
    const stage = (name: string) => ({command: ['python3', `stages/${name}.py`], timeout: '5m', env: {PYTHONDONTWRITEBYTECODE: '1'}})
    for (let round = 0; round < 5; round++) {
      const nodes = []
      for (let j = 0; j < 5; j++) {
        // one lookback each, so the five models differ and a mix-up shows
        nodes.push({
          id: `r${round}/p${j}/train`,
          team: 'train',
          run: stage('train'),
          data: 'data/prices.csv',
          params: {lookbacks: [7 + 11 * j]},
        })
        nodes.push({
          id: `r${round}/p${j}/backtest`,
          team: 'backtest',
          run: stage('backtest'),
          data: 'data/prices.csv',
          inputs: [{from: '../train', files: ['model.*'], as: 'model'}],
        })
      }
      writeSpec(repo.dir, {nodes}, `round${round}.yaml`)
      ok(['seed', `round${round}.yaml`])
      const work = ok(['work', '--parallel', '4'])
      // the verdicts as committed (what `rigor show` reads), read with git: 25 CLI starts fewer
      for (let j = 0; j < 5; j++) {
        const id = `r${round}/p${j}/backtest`
        // a node without a verdict: its node file and the worker's output say why
        const node = parse(committed(`experiments/${id}/node.yaml`).toString('utf8'))
        expect(node.status, `${id}: ${JSON.stringify(node)}\n${work.stdout}\n${work.stderr}`).toBe('proven_accepted')
        const verdict = parse(committed(`experiments/${id}/verdict.yaml`).toString('utf8'))
        expect(verdict.status, `${id}: ${verdict.reason}`).toBe('proven_accepted')
        const model = committed(`experiments/r${round}/p${j}/train/out/model.json`)
        expect(verdict.inputs[0].from).toBe(`r${round}/p${j}/train`)
        expect(verdict.inputs[0].files[0].sha256).toBe(sha256(model))
        expect(verdict.metrics.lookback).toBe(7 + 11 * j)
      }
    }
  }, 600_000)
})
