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
