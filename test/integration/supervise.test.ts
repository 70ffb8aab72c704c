import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {renderNode} from '../../src/core/state/node-files.js'
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

  // a node file with a valid checksum and a lease years ahead (a clone whose clock is years ahead, or written by hand)
  // was never taken back: its node held forever by a worker that would never renew it
  it('a lease ending further ahead than lease.duration grants is taken for expired, and says so', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('s/held')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['claim', '--worker', 'squatter']).code).toBe(0)
    const file = join(repo.dir, 'experiments/s/held/node.yaml')
    const {checksum: _, ...node} = parse(readFileSync(file, 'utf8'))
    writeFileSync(file, renderNode({...node, lease_until: '2036-01-01T00:00:00.000Z'}).text)
    repo.git('commit', '-qam', 'a lease for ten years')
    const stuck = json(rigor(repo.dir, ['health', '--json'])).checks.find((c: {name: string}) => c.name === 'stuck_leases')
    expect(stuck.value).toBe(1)
    const result = rigor(repo.dir, ['supervise', '--once', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).supervised.requeued).toEqual(['s/held'])
    const shown = json(rigor(repo.dir, ['show', 's/held', '--json']))
    expect(shown.status).toBe('pending')
    expect(shown.reason).toContain('further ahead than lease.duration grants')
  })

  it('a lease within lease.duration of now is left alone', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('s/live')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['claim', '--worker', 'alive']).code).toBe(0)
    expect(json(rigor(repo.dir, ['supervise', '--once', '--json'])).supervised.requeued).toEqual([])
  })
})
