import {copyFileSync, mkdirSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

const ROOT = resolve(__dirname, '../..')
let repo: TempRepo
afterEach(() => repo?.cleanup())

const tell = [
  process.execPath,
  '-e',
  "require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({notes: String(process.env.RIGOR_DATA_NAME), metrics: {sharpe: 1}}))",
]

// RIGOR_DATA points at a copy named by its content: the kit's notes said "on 6d1c65...csv" for data/prices.csv
describe("the data file a runner's messages name", () => {
  it('is the one the node declared (RIGOR_DATA_NAME), in the kit notes and for any runner; run.env cannot change it', () => {
    repo = workspace()
    mkdirSync(join(repo.dir, 'data'))
    copyFileSync(join(ROOT, 'data/SYNTH-A.csv'), join(repo.dir, 'data/prices.csv'))
    repo.git('add', 'data')
    repo.git('commit', '-qm', 'data')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'kit/momentum', team: 'default', run: {command: ['rigor', 'backtest', '--strategy', 'momentum']}, data: 'data/prices.csv'},
        {id: 'own/tell', team: 'default', run: {command: tell, env: {RIGOR_DATA_NAME: 'elsewhere.csv'}}, data: 'data/prices.csv'},
        {id: 'own/none', team: 'default', run: {command: tell}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    for (const id of ['kit/momentum', 'own/tell', 'own/none']) {
      const run = rigor(repo.dir, ['run', id], {RIGOR_DATA_NAME: 'inherited.csv'})
      expect(run.code, run.stderr).toBe(0)
    }
    const notes = (id: string) => json(rigor(repo.dir, ['show', id, '--json'])).verdict.notes as string
    expect(notes('kit/momentum')).toMatch(/^momentum \{"lookback":\d+\} on data\/prices\.csv: /)
    expect(notes('kit/momentum')).not.toMatch(/[0-9a-f]{40}/)
    expect(notes('own/tell')).toBe('data/prices.csv')
    expect(notes('own/none')).toBe('undefined')
  })
})
