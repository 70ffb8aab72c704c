import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const runner = (sharpe: number, dd: number, ret: number) => [
  'sh',
  '-c',
  `printf '{"metrics":{"sharpe":${sharpe},"max_drawdown":${dd},"total_return":${ret}}}' > "$RIGOR_OUT/verdict.json"`,
]

describe('rigor rank', () => {
  it('ranks accepted nodes, archives the rest without touching verdicts, and records the history', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'r/a', team: 'default', run: {command: runner(1.2, 0.3, 0.9)}},
        {id: 'r/b', team: 'default', run: {command: runner(0.9, 0.1, 0.4)}},
        {id: 'r/c', team: 'default', run: {command: runner(0.6, 0.2, 1.5)}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    rigor(repo.dir, ['work'])
    const verdictBefore = readFileSync(join(repo.dir, 'experiments/r/c/verdict.yaml'), 'utf8')
    const ranked = json(rigor(repo.dir, ['rank', '--objective', 'sharpe', '--keep', '1', '--json']))
    expect(ranked.ranking.ranked.map((r: any) => r.id)).toEqual(['r/a', 'r/b', 'r/c'])
    expect(ranked.ranking.kept).toEqual(['r/a'])
    expect(json(rigor(repo.dir, ['show', 'r/c', '--json'])).archived).toBe(true)
    expect(readFileSync(join(repo.dir, 'experiments/r/c/verdict.yaml'), 'utf8')).toBe(verdictBefore)

    const byReturn = json(rigor(repo.dir, ['rank', '--objective', 'return', '--keep', '1', '--json']))
    expect(byReturn.ranking.kept).toEqual(['r/c'])
    expect(json(rigor(repo.dir, ['show', 'r/c', '--json'])).archived).toBeUndefined()
    expect(json(rigor(repo.dir, ['show', 'r/a', '--json'])).archived).toBe(true)

    const pareto = json(rigor(repo.dir, ['rank', '--objective', 'pareto', '--json']))
    expect(pareto.ranking.kept.sort()).toEqual(['r/a', 'r/b'])
    const drawdown = json(rigor(repo.dir, ['rank', '--objective', 'drawdown', '--keep', '1', '--json']))
    expect(drawdown.ranking.kept).toEqual(['r/b'])

    const history = json(rigor(repo.dir, ['rank', '--history', '--json'])).history
    expect(history.map((h: any) => h.objective)).toEqual(['drawdown', 'pareto', 'return', 'sharpe'])
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    expect(rigor(repo.dir, ['rank', '--metric', 'nonexistent']).code).toBe(2)
  })
})
