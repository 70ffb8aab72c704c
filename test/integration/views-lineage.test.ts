import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {checkedOutput} from '../helpers/output-schema.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// ids are lineage paths: a root seeded as trend/fast beside trend descends from it, as rigor graph draws it
let repo: TempRepo
let scratch: string | undefined
afterEach(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  scratch = undefined
})

describe("a node's lineage, by its id's prefix", () => {
  it('show and the site name the ancestors and children the graph draws, and show names the first few of many children', () => {
    repo = workspace()
    const children = Array.from({length: 12}, (_, i) => nodeSpec(`trend/c-${String(i).padStart(2, '0')}`))
    writeSpec(repo.dir, {nodes: [nodeSpec('trend'), nodeSpec('trend/fast'), nodeSpec('trend/fast/tight'), ...children]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)

    const graph = rigor(repo.dir, ['graph'])
    expect(graph.stdout).toContain('n_trend --> n_trend_sfast')
    expect(graph.stdout).toContain('n_trend_sfast --> n_trend_sfast_stight')

    const tight = checkedOutput('show', rigor(repo.dir, ['show', 'trend/fast/tight', '--json']))
    expect(tight.lineage).toEqual(['trend', 'trend/fast'])
    const root = checkedOutput('show', rigor(repo.dir, ['show', 'trend', '--json']))
    expect(root.lineage).toEqual([])
    expect(root.children).toEqual([...children.map((c) => c.id), 'trend/fast'])

    expect(rigor(repo.dir, ['show', 'trend/fast/tight']).stdout).toContain('lineage: trend -> trend/fast -> trend/fast/tight')
    const shown = rigor(repo.dir, ['show', 'trend']).stdout
    expect(shown).toContain('children: trend/c-00, trend/c-01,')
    expect(shown).toContain('... and 3 more')
    expect(shown).not.toContain('trend/fast')

    scratch = mkdtempSync(join(tmpdir(), 'rigor-views-lineage-'))
    expect(rigor(repo.dir, ['site', '--out', scratch]).code).toBe(0)
    const page = readFileSync(join(scratch, 'nodes/trend~fast.html'), 'utf8')
    expect(page).toMatch(/<dt>ancestors<\/dt><dd><a [^>]*href="\.\.\/nodes\/trend\.html"[^>]*>trend<\/a><\/dd>/)
    expect(page).toMatch(/<dt>children<\/dt><dd><a [^>]*href="\.\.\/nodes\/trend~fast~tight\.html"[^>]*>trend\/fast\/tight<\/a><\/dd>/)
  })
})

describe('the DAG page of a lineage too large to draw', () => {
  it('lists a root of 1,001 children (1,002 boxes) with the command that draws it, rather than laying out one drawing of them all', () => {
    repo = workspace()
    const children = Array.from({length: 1001}, (_, i) => ({
      id: `star/c-${String(i).padStart(4, '0')}`,
      team: 'default',
      run: {command: ['true']},
    }))
    writeSpec(repo.dir, {nodes: [{id: 'star', team: 'default', run: {command: ['true']}}, ...children]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    scratch = mkdtempSync(join(tmpdir(), 'rigor-views-star-'))
    expect(rigor(repo.dir, ['site', '--out', scratch]).code).toBe(0)
    const dag = readFileSync(join(scratch, 'dag.html'), 'utf8')
    expect(dag).not.toContain('<svg class="dag"')
    expect(dag).toContain(
      '1002 boxes in one lineage, more than a page draws (1000): <span class="mono">rigor graph --root star --format dot</span>',
    )
    expect(dag.match(/data-node="star[^"]*"/g)).toHaveLength(400)
    // every node is still a link away: the root's page links each child
    const root = readFileSync(join(scratch, 'nodes/star.html'), 'utf8')
    expect(root.match(/href="\.\.\/nodes\/star~c-\d{4}\.html"/g)).toHaveLength(1001)
  })
})
