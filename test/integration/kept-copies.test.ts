import {readdirSync, statSync, utimesSync, writeFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {VIEW_FROM} from '../../src/core/dag/sealed-data.js'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pricesCsv} from './audit-fixtures.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const DAY_S = 24 * 3600
const FILES = Math.max(VIEW_FROM, 8)
const kept = (kind: string): string[] => {
  try {
    return readdirSync(join(repo.dir, '.git', 'rigor', kind)).sort()
  } catch {
    return []
  }
}
/** Every kept copy made older than four weeks, as if the workspace had been left alone that long. */
function ageAll(days: number): void {
  const when = Date.now() / 1000 - days * DAY_S
  for (const kind of ['data', 'views']) for (const name of kept(kind)) utimesSync(join(repo.dir, '.git', 'rigor', kind, name), when, when)
}
const youngerThanADay = (kind: string, name: string) =>
  Date.now() - statSync(join(repo.dir, '.git', 'rigor', kind, name)).mtimeMs < 24 * 3600_000

function commitPrices(seed: number, only?: number): void {
  for (let i = 0; i < FILES; i++)
    if (only === undefined || only === i) writeFileSync(join(repo.dir, 'd', `p${i}.csv`), pricesCsv({rows: 200, seed: seed + i}))
  repo.git('add', 'd', 'rigor.yaml')
  repo.git('commit', '-qm', `prices ${seed}`)
}

function seedAndWork(spec: unknown[], name: string): void {
  writeSpec(repo.dir, {nodes: spec}, name)
  expect(rigor(repo.dir, ['seed', name, '--by', 'seeder']).code).toBe(0)
  const work = rigor(repo.dir, ['work', '--worker', 'w', '--parallel', '2'])
  expect(work.code, work.stderr).toBe(0)
}

const SEE = [process.execPath, '-e', "require('fs').writeFileSync(process.env.RIGOR_OUT+'/verdict.json','{\"metrics\":{\"sharpe\":1}}')"]

describe('copies kept under .git/rigor', () => {
  it('are refreshed by each use and removed by verify and cycle once unused for four weeks; a removed copy is made again', () => {
    repo = workspace()
    mkdirSync(join(repo.dir, 'd'))
    const config = {
      version: 1,
      teams: [{name: 'default'}],
      gates: [{name: 'g', accept_when: 'true'}],
      holdout: {fraction: 0.2},
      cycle: {steps: ['work']},
    }
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    commitPrices(1)
    const oldLast = repo.git('rev-parse', `HEAD:d/p${FILES - 1}.csv`)
    // every file of d/ declared: each run sees d/ as one view holding every file's research cut
    const nodes = (round: string) => Array.from({length: FILES}, (_, i) => nodeSpec(`r${round}/n${i}`, SEE, {data: `d/p${i}.csv`}))
    seedAndWork(nodes('1'), 'one.yaml')
    const firstCuts = kept('data')
    const firstViews = kept('views')
    expect(firstCuts.filter((n) => n.startsWith(oldLast))).toHaveLength(1)
    expect(firstViews).toHaveLength(1)

    // the last file changes: its old cut and the view that held it are used no more
    commitPrices(50, FILES - 1)
    ageAll(29)
    seedAndWork(nodes('2'), 'two.yaml')
    const used = kept('data').filter((n) => youngerThanADay('data', n))
    // the runs of round 2 refreshed the cuts they reused and made the new file's
    expect(used.some((n) => n.startsWith(oldLast))).toBe(false)
    expect(used.length).toBeGreaterThanOrEqual(FILES)
    const usedViews = kept('views').filter((n) => youngerThanADay('views', n))
    expect(usedViews).toHaveLength(1)
    expect(usedViews).not.toContain(firstViews[0])

    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code, verify.stderr).toBe(0)
    const removed: string[] = json(verify).removed_copies
    expect(removed).toContain(`views/${firstViews[0]}`)
    expect(removed.filter((n) => n.startsWith(`data/${oldLast}`)).length).toBeGreaterThanOrEqual(1)
    expect(removed.every((n) => !used.includes(n.slice('data/'.length)) && !usedViews.includes(n.slice('views/'.length)))).toBe(true)
    expect(kept('data').sort()).toEqual([...used].sort())
    expect(kept('views')).toEqual(usedViews)
    // in words too
    ageAll(29)
    const said = rigor(repo.dir, ['verify'])
    expect(said.stdout).toMatch(/removed \d+ cop(y|ies) unused for four weeks from \.git\/rigor/)
    expect(kept('data')).toEqual([])
    expect(kept('views')).toEqual([])

    // a removed copy is a cache: the next runs make them again, and a daily cycle prunes as it starts
    writeSpec(repo.dir, {nodes: nodes('3')}, 'three.yaml')
    expect(rigor(repo.dir, ['seed', 'three.yaml', '--by', 'seeder']).code).toBe(0)
    const cycle = rigor(repo.dir, ['cycle', '--json'])
    expect(cycle.code, cycle.stderr).toBe(0)
    expect(json(cycle).removed_copies).toEqual([])
    expect(kept('data').length).toBeGreaterThanOrEqual(FILES)
    expect(kept('views')).toHaveLength(1)
    const before = [...kept('data').map((n) => `data/${n}`), ...kept('views').map((n) => `views/${n}`)]
    ageAll(29)
    const again = rigor(repo.dir, ['cycle', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect([...json(again).removed_copies].sort()).toEqual(before.sort())
    expect(kept('data')).toEqual([])
  })
})
