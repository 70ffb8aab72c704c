import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor handoff', () => {
  it('creates numbered handoffs with artifact checksums, lists them, and reports a corrupted artifact', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'prices.csv'), 'date,close\n2024-01-01,100\n')
    writeFileSync(join(repo.dir, 'notes.md'), 'cleaned\n')
    repo.git('add', 'prices.csv', 'notes.md')
    repo.git('commit', '-qm', 'data')
    const first = json(rigor(repo.dir, ['handoff', 'create', '--task', 'data-prep', '--from', 'alice', '--to', 'bob', '--artifact', 'prices.csv', '--artifact', 'notes.md', '--message', 'ready', '--json']))
    expect(first.file).toBe('handoffs/data-prep/001-alice-to-bob.yaml')
    expect(first.handoff.artifacts['prices.csv']).toMatch(/^sha256:[0-9a-f]{64}$/)
    const second = json(rigor(repo.dir, ['handoff', 'create', '--task', 'data-prep', '--from', 'bob', '--to', 'carol', '--artifact', 'prices.csv', '--json']))
    expect(second.file).toBe('handoffs/data-prep/002-bob-to-carol.yaml')
    expect(json(rigor(repo.dir, ['handoff', 'list', '--json'])).handoffs.map((h: any) => h.number)).toEqual([1, 2])
    expect(rigor(repo.dir, ['handoff', 'verify']).code).toBe(0)

    writeFileSync(join(repo.dir, 'prices.csv'), 'date,close\n2024-01-01,999\n')
    const verify = rigor(repo.dir, ['handoff', 'verify', 'data-prep'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toContain('handoffs/data-prep/001-alice-to-bob.yaml: prices.csv: checksum no longer matches')
    expect(verify.stdout).toContain('002-bob-to-carol.yaml: prices.csv')
    expect(verify.stdout).not.toContain('notes.md')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)

    expect(rigor(repo.dir, ['handoff', 'create', '--task', 'Bad Task', '--from', 'a', '--to', 'b', '--artifact', 'notes.md']).code).toBe(2)
    expect(rigor(repo.dir, ['handoff', 'create', '--task', 't', '--from', 'a', '--to', 'b', '--artifact', 'missing.csv']).code).toBe(2)
  })
})
