import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {writeSpec} from './helpers.js'

// docs/runner-protocol.md: RIGOR_COST_MULTIPLIER is set only by the auditor's costs re-run and RIGOR_STAGE only by
// rigor paper; a node's run.env (which a designer agent or a rule writes) cannot set them, nor can rigor's own
// environment leak them into a research run

let repo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
})

const tell = [
  process.execPath,
  '-e',
  "const e = process.env; require('fs').writeFileSync(e.RIGOR_OUT + '/verdict.json', JSON.stringify({notes: JSON.stringify({cost: e.RIGOR_COST_MULTIPLIER ?? null, stage: e.RIGOR_STAGE ?? null, seed: e.RIGOR_SEED, mine: e.MINE ?? null}), metrics: {sharpe: 1}}))",
]
const env = {RIGOR_COST_MULTIPLIER: '0', RIGOR_STAGE: 'paper', RIGOR_SEED: '9', MINE: 'kept'}
const seen = {cost: null, stage: null, seed: '0', mine: 'kept'}

describe("a runner's protocol variables", () => {
  it('are not set by run.env nor inherited, under rigor work and rigor run', () => {
    repo = gitRepo()
    expect(rigor(repo.dir, ['init']).code).toBe(0)
    writeSpec(repo.dir, {
      nodes: [
        {id: 'peek/work', team: 'default', run: {command: tell, env}},
        {id: 'peek/run', team: 'default', run: {command: tell, env}, priority: -1},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const inherited = {RIGOR_COST_MULTIPLIER: '0', RIGOR_STAGE: 'live'}
    expect(rigor(repo.dir, ['run', 'peek/run'], inherited).code).toBe(0)
    expect(rigor(repo.dir, ['work'], inherited).code).toBe(0)
    for (const id of ['peek/work', 'peek/run']) {
      expect(JSON.parse(json(rigor(repo.dir, ['show', id, '--json'])).verdict.notes)).toEqual(seen)
    }
  })
})
