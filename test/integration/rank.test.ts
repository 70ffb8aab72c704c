import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {checkedOutput} from '../helpers/output-schema.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitConfig, nodeSpec, workspace, writeSpec} from './helpers.js'

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
    // the table heads each column once: the ranking's metric, then the other of sharpe and max drawdown
    const header = (args: string[]) =>
      rigor(repo.dir, ['rank', ...args])
        .stdout.split('\n')[0]!
        .trim()
        .split('\t')
    expect(header(['--objective', 'sharpe'])).toEqual(['rank', 'node', 'sharpe', 'max drawdown', 'kept'])
    expect(header(['--objective', 'drawdown'])).toEqual(['rank', 'node', 'max_drawdown', 'sharpe', 'kept'])
    expect(header(['--objective', 'return'])).toEqual(['rank', 'node', 'total_return', 'sharpe', 'max drawdown', 'kept'])
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    expect(rigor(repo.dir, ['rank', '--metric', 'nonexistent']).code).toBe(2)
  })

  it("breaks ties by id in code-unit order, the same in every locale and as the site's leaderboard", () => {
    repo = workspace()
    // one Sharpe for all: the ids alone order them; ICU puts _ before -, and Danish puts aa after ab
    const ids = ['t/aa', 't/ab', 't/a-b', 't/a_b']
    writeSpec(repo.dir, {nodes: ids.map((id) => ({id, team: 'default', run: {command: runner(1, 0.1, 0.5)}}))})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const inOrder = ['t/a-b', 't/a_b', 't/aa', 't/ab']
    for (const locale of ['C.UTF-8', 'da_DK.UTF-8']) {
      const ranked = json(rigor(repo.dir, ['rank', '--keep', '1', '--json'], {LANG: locale, LC_ALL: locale}))
      expect(ranked.ranking.ranked.map((r: any) => r.id)).toEqual(inOrder)
      expect(ranked.ranking.kept).toEqual(['t/a-b'])
    }
  })

  it('with no accepted node commits nothing and says what to do; rank --history and the cycle take it', () => {
    repo = workspace()
    commitConfig(repo, {cycle: {steps: ['rank', 'report']}})
    writeSpec(repo.dir, {nodes: [nodeSpec('p/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const tip = repo.git('rev-parse', 'main')
    const text = rigor(repo.dir, ['rank', '--team', 'default'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('nothing to rank, nothing recorded: no node of team default is accepted yet')
    expect(text.stdout).toContain('Fix: run the pending nodes (`rigor work`)')
    const asJson = checkedOutput('rank', rigor(repo.dir, ['rank', '--json']))
    expect(asJson.file).toBeNull()
    expect(asJson.commit).toBeUndefined()
    expect(asJson.nothing_to_rank).toEqual({why: 'no node is accepted yet', fix: expect.stringContaining('rigor work')})
    expect(repo.git('rev-parse', 'main')).toBe(tip)
    expect(json(rigor(repo.dir, ['rank', '--history', '--json'])).history).toEqual([])
    expect(rigor(repo.dir, ['rank', '--history']).stdout).toMatch(/^no ranking recorded yet: `rigor rank` ranks the accepted nodes/)
    // the cycle's rank step succeeds, says why it ranked nothing, and the report after it runs
    const cycle = checkedOutput('cycle', rigor(repo.dir, ['cycle', '--json']))
    expect(cycle.outcome).toBe('succeeded')
    expect(cycle.rank).toMatchObject({file: null, kept: [], nothing_to_rank: {why: 'no node is accepted yet'}})
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'reports/rankings')).toBe('')
  })
})
