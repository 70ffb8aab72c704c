import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const OK = [process.execPath, '-e', "require('fs').writeFileSync(process.env.RIGOR_OUT+'/verdict.json','{\"metrics\":{\"sharpe\":1}}')"]

describe("a run's fingerprint", () => {
  it('names the committed bytes of its data file: new data gives a new fingerprint, the same data the same one', () => {
    repo = workspace()
    const ok = (args: string[]) => {
      const run = rigor(repo.dir, args)
      expect(run.code, run.stderr).toBe(0)
      return run
    }
    const prices = (seed: number) => {
      writeFileSync(join(repo.dir, 'prices.csv'), pricesCsv({rows: 120, seed}))
      repo.git('add', 'prices.csv')
      repo.git('commit', '-qm', `prices ${seed}`)
    }
    prices(1)
    writeSpec(repo.dir, {nodes: [nodeSpec('fp/a', OK, {data: 'prices.csv'})]})
    ok(['seed', 'spec.yaml', '--by', 'seeder'])
    const fingerprint = () => {
      ok(['work', '--worker', 'w'])
      return parse(repo.git('show', 'main:experiments/fp/a/verdict.yaml')).fingerprint as string
    }
    const first = fingerprint()
    ok(['rerun', 'fp/a'])
    const same = fingerprint()
    // the same path, new bytes: another run
    prices(2)
    ok(['rerun', 'fp/a'])
    const other = fingerprint()
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(same).toBe(first)
    expect(other).not.toBe(first)
  })
})
