import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitConfig, nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor supervise', () => {
  it('says what it re-queued, then the health it left: the nodes it took back are no longer stuck', () => {
    repo = workspace()
    // a lease of 1 ms has expired by the time supervise looks: no waiting on a clock
    commitConfig(repo, {lease: {duration: '1ms', max_attempts: 3}})
    writeSpec(repo.dir, {nodes: [nodeSpec('s/n1'), nodeSpec('s/n2'), nodeSpec('s/n3'), nodeSpec('s/n4')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    for (let i = 0; i < 4; i++) expect(rigor(repo.dir, ['claim', '--worker', 'ghost']).code).toBe(0)
    const text = rigor(repo.dir, ['supervise', '--once'])
    expect(text.code, text.stderr).toBe(0)
    const lines = text.stdout.trim().split('\n')
    expect(lines).toEqual([
      're-queued 4 (s/n1, s/n2, s/n3, ... and 1 more), expired (inconclusive) 0, blocked 0',
      'health after: running 0, pending 4, stuck 0, corrupt 0, audit backlog 0, failed-audit rate n/a',
    ])
    const held = json(rigor(repo.dir, ['claim', '--worker', 'ghost', '--json'])).claimed.id
    const again = json(rigor(repo.dir, ['supervise', '--once', '--json']))
    expect(again.supervised.requeued).toEqual([held])
    expect(again.health).toMatchObject({running: 0, pending: 4, stuck: []})
  })
})
