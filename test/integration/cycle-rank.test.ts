import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import {checkedOutput} from '../helpers/output-schema.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SLOW} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

/** The cycle's rank step ranks by the program's metric; a bad `cycle:` section is refused before anything runs. */

let repo: TempRepo
afterEach(() => repo?.cleanup())

function configure(dir: string, yaml: string): void {
  writeFileSync(join(dir, 'rigor.yaml'), `version: 1\nteams: [{name: default}]\n${yaml}`)
}

const nodes = (metrics: Array<Record<string, number>>) => ({
  nodes: metrics.map((m, i) => ({id: `m/n${i}`, team: 'default', run: {command: verdictRunner(m)}})),
})

describe('rigor cycle: rank and configuration', () => {
  it(
    "rank uses the program's metric: the gates' when rigor.yaml does not say, cycle.rank.metric and direction when it does",
    () => {
      repo = workspace()
      configure(
        repo.dir,
        `gates: [{name: quality, accept_when: 'has(metrics.sharpe) && metrics.sharpe > 1.0 || metrics.accuracy > 0.6'}]\n`,
      )
      repo.git('commit', '-qam', 'a classifier program: no sharpe')
      writeSpec(
        repo.dir,
        nodes([
          {accuracy: 0.7, loss: 0.3},
          {accuracy: 0.9, loss: 0.5},
          {accuracy: 0.8, loss: 0.1},
          {accuracy: 0.5, loss: 0.9},
        ]),
      )
      rigor(repo.dir, ['seed', 'spec.yaml'])
      const first = checkedOutput('cycle', rigor(repo.dir, ['cycle', '--skip', 'design', '--keep', '2', '--json']))
      expect(first.outcome).toBe('succeeded')
      // sharpe is compared first, but no accepted node reports it: accuracy, higher is better, as the gate asks
      expect(first.rank).toMatchObject({metric: 'accuracy', source: 'gates[0].accept_when (gate quality)', kept: ['m/n1', 'm/n2']})
      const ranking = parse(repo.git('show', `main:${first.rank.file}`))
      expect(ranking.metric).toBe('accuracy')
      expect(ranking.ranked.map((r: any) => r.id)).toEqual(['m/n1', 'm/n2', 'm/n0'])
      // rigor rank told neither --objective nor --metric ranks as the cycle does (the workflow's review job runs it so)
      const byHand = rigor(repo.dir, ['rank', '--json'])
      expect(byHand.code, byHand.stdout).toBe(0)
      expect(json(byHand).ranking.metric).toBe('accuracy')
      expect(json(byHand).ranking.ranked.map((r: any) => r.id)).toEqual(['m/n1', 'm/n2', 'm/n0'])
      // told sharpe, it ranks by sharpe, which no node reports
      expect(rigor(repo.dir, ['rank', '--objective', 'sharpe', '--json']).code).toBe(2)

      configure(
        repo.dir,
        `gates: [{name: quality, accept_when: 'metrics.accuracy > 0.6'}]\ncycle: {steps: [rank], rank: {metric: loss, direction: lower}}\n`,
      )
      repo.git('commit', '-qam', 'rank by loss')
      const second = checkedOutput('cycle', rigor(repo.dir, ['cycle', '--keep', '2', '--json']))
      expect(second.rank).toMatchObject({metric: 'loss', source: 'cycle.rank.metric', kept: ['m/n2', 'm/n0']})

      // a metric no accepted node reports: the step fails naming the field to set, the cycle exits 1
      configure(repo.dir, `cycle: {steps: [rank, report], rank: {metric: sortino}}\n`)
      repo.git('commit', '-qam', 'rank by a metric nobody reports')
      const third = rigor(repo.dir, ['cycle', '--json'])
      expect(third.code).toBe(1)
      const failed = checkedOutput('cycle', third).steps[0]
      expect(failed).toMatchObject({name: 'rank', status: 'failed'})
      expect(failed.error).toContain('rigor.yaml (at main), field "cycle.rank.metric": node m/n0 has no metric "sortino"')
      expect(json(third).steps[1]).toMatchObject({name: 'report', status: 'succeeded'})
    },
    SLOW,
  )

  it('a bad cycle section is refused before anything runs: exit 2 naming rigor.yaml and the field', () => {
    repo = workspace()
    configure(repo.dir, 'cycle: {steps: [assess, work]}\n')
    repo.git('commit', '-qam', 'assess before the work it judges')
    const out = rigor(repo.dir, ['cycle'])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('rigor.yaml (at main), field "cycle.steps[0]": step "assess" needs "work", which comes after it')
    configure(repo.dir, 'cycle: {steps: [design, train], work: {retry: -1}}\n')
    repo.git('commit', '-qam', 'an unknown step')
    const unknown = rigor(repo.dir, ['cycle'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('cycle.steps[1]')
    expect(existsSync(join(repo.dir, '.git/rigor/cycle.json'))).toBe(false)
    expect(existsSync(join(repo.dir, '.git/rigor/cycles'))).toBe(false)
  })
})
