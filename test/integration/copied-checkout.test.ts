import {appendFileSync, cpSync, mkdtempSync, rmSync, utimesSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
const copies: string[] = []
afterEach(() => {
  repo?.cleanup()
  for (const dir of copies.splice(0)) rmSync(dir, {recursive: true, force: true})
})

describe('a checkout copied, moved or restored from a backup', () => {
  it('claims as before: files whose index entries are stat-dirty are compared by content, and only a real edit keeps a node back', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: ['a', 'b', 'c'].map((n) => ({id: `t/${n}`, team: 'default', run: {command: ['true']}}))})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    // a copy has new inodes and times for every file: git lists them all as changed until something reads them
    const parent = mkdtempSync(join(tmpdir(), 'rigor-copy-'))
    copies.push(parent)
    const copy = join(parent, 'ws')
    cpSync(repo.dir, copy, {recursive: true})
    const later = new Date(Date.now() + 60_000)
    utimesSync(join(copy, 'experiments/t/b/node.yaml'), later, later)
    appendFileSync(join(copy, 'experiments/t/c/node.yaml'), '# my note\n')
    const claims = ['w1', 'w2', 'w3'].map((worker) => rigor(copy, ['claim', '--worker', worker]))
    // the third finds nothing it may claim (exit 3): c is held back by its edit
    expect(claims.map((c) => c.code)).toEqual([0, 0, 3])
    expect(json(rigor(copy, ['status', '--json'])).by_status.running).toBe(2)
    const running = ['a', 'b', 'c'].filter((n) => json(rigor(copy, ['show', `t/${n}`, '--json'])).status === 'running')
    expect(running).toEqual(['a', 'b'])
    const warnings = claims.map((c) => c.stderr).join('\n')
    expect(warnings).toContain('experiments/t/c/node.yaml has uncommitted edits')
    expect(warnings).not.toContain('experiments/t/a/node.yaml')
    expect(warnings).not.toContain('experiments/t/b/node.yaml')
  })
})
