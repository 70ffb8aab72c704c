import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {dumpStateDocument} from '../../src/core/state/documents.js'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'
import {git, remoteWithClones, removeRoot} from './remote-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor handoff', () => {
  it('creates numbered handoffs with artifact checksums, lists them, and reports a corrupted artifact', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'prices.csv'), 'date,close\n2024-01-01,100\n')
    writeFileSync(join(repo.dir, 'notes.md'), 'cleaned\n')
    repo.git('add', 'prices.csv', 'notes.md')
    repo.git('commit', '-qm', 'data')
    const first = json(
      rigor(repo.dir, [
        'handoff',
        'create',
        '--task',
        'data-prep',
        '--from',
        'alice',
        '--to',
        'bob',
        '--artifact',
        'prices.csv',
        '--artifact',
        'notes.md',
        '--message',
        'ready',
        '--json',
      ]),
    )
    expect(first.file).toBe('handoffs/data-prep/001-alice-to-bob.yaml')
    expect(first.handoff.artifacts['prices.csv']).toMatch(/^sha256:[0-9a-f]{64}$/)
    const second = json(
      rigor(repo.dir, ['handoff', 'create', '--task', 'data-prep', '--from', 'bob', '--to', 'carol', '--artifact', 'prices.csv', '--json']),
    )
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

  it('names a changed handoff file, a missing artifact and an artifact outside the workspace; filters by task', () => {
    repo = workspace()
    mkdirSync(join(repo.dir, 'models'))
    writeFileSync(join(repo.dir, 'models', 'weights.bin'), Buffer.from([1, 2, 3]))
    writeFileSync(join(repo.dir, 'report.md'), 'findings\n')
    // paths are relative to where the user stands (here --cwd models), stored relative to the workspace
    const created = json(
      rigor(repo.dir, [
        'handoff',
        'create',
        '--cwd',
        join(repo.dir, 'models'),
        '--task',
        'train',
        '--from',
        'arch',
        '--to',
        'audit',
        '--artifact',
        'weights.bin',
        '--artifact',
        '../report.md',
        '--json',
      ]),
    )
    expect(Object.keys(created.handoff.artifacts).sort()).toEqual(['models/weights.bin', 'report.md'])
    expect(created.handoff.checksum).toMatch(/^sha256:/)
    expect(repo.git('log', '-1', '--format=%B')).toContain('Rigor-Action: handoff')
    json(rigor(repo.dir, ['handoff', 'create', '--task', 'other', '--from', 'a', '--to', 'b', '--artifact', 'report.md', '--json']))
    expect(json(rigor(repo.dir, ['handoff', 'list', '--task', 'train', '--json'])).handoffs.map((h: any) => h.file)).toEqual([
      'handoffs/train/001-arch-to-audit.yaml',
    ])

    const outside = rigor(repo.dir, [
      'handoff',
      'create',
      '--task',
      't',
      '--from',
      'a',
      '--to',
      'b',
      '--artifact',
      '/etc/hostname',
      '--json',
    ])
    expect(outside.code).toBe(2)
    expect(json(outside).error.message).toContain('/etc/hostname lies outside the workspace')

    // the sender's handoff file edited by hand (a value changed) and the weights deleted
    const file = join(repo.dir, 'handoffs/train/001-arch-to-audit.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('to: audit', 'to: audit2'))
    repo.git('commit', '-qam', 'hand edit')
    rmSync(join(repo.dir, 'models', 'weights.bin'))
    const verify = rigor(repo.dir, ['handoff', 'verify', '--json'])
    expect(verify.code).toBe(1)
    const report = json(verify)
    expect(report.ok).toBe(false)
    expect(report.problems.map((p: any) => [p.kind, p.artifact ?? p.file])).toEqual([
      ['corrupt', 'handoffs/train/001-arch-to-audit.yaml'],
      ['missing', 'models/weights.bin'],
    ])
    const human = rigor(repo.dir, ['handoff', 'verify', 'train'])
    expect(human.stdout).toContain('handoffs/train/001-arch-to-audit.yaml: checksum mismatch')
    expect(human.stdout).toContain('models/weights.bin: missing')
    expect(rigor(repo.dir, ['handoff', 'verify', 'other']).code).toBe(0)
    // a task that has no handoff (a typo) is bad input, not a pass that checked nothing
    const typo = rigor(repo.dir, ['handoff', 'verify', 'trian', '--json'])
    expect(typo.code).toBe(2)
    expect(json(typo).error).toMatchObject({
      message: 'field "task": no handoff of task "trian"',
      fix: 'name one of the tasks handed off: other, train',
    })
    // so is it for list, which would otherwise say "no handoffs" of a task that has them under its right name
    const listTypo = rigor(repo.dir, ['handoff', 'list', '--task', 'trian', '--json'])
    expect(listTypo.code).toBe(2)
    expect(json(listTypo).error).toMatchObject({
      message: 'field "--task": no handoff of task "trian"',
      fix: 'name one of the tasks handed off: other, train',
    })
  })

  it('never reads a committed artifact path that leaves the workspace or is no regular file (a ../ path, a link to /dev/zero)', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'notes.md'), 'findings\n')
    repo.git('add', 'notes.md')
    repo.git('commit', '-qm', 'notes')
    const created = json(
      rigor(repo.dir, ['handoff', 'create', '--task', 't', '--from', 'a', '--to', 'b', '--artifact', 'notes.md', '--json']),
    )
    const file = join(repo.dir, created.file)
    const zero = `sha256:${'0'.repeat(64)}`
    // committed by hand with a valid checksum: paths out of the workspace, and a committed link to a device that never ends
    const doc = parse(readFileSync(file, 'utf8'))
    writeFileSync(file, dumpStateDocument({...doc, artifacts: {'../../../../../../../../dev/zero': zero, '/etc/hostname': zero}}))
    repo.git('commit', '-qam', 'hand-made handoff')
    const bad = rigor(repo.dir, ['handoff', 'verify', '--json'])
    expect(bad.code).toBe(1)
    const problems = json(bad).problems
    expect(problems.map((p: any) => p.kind)).toEqual(['invalid'])
    expect(problems[0].message).toContain('field "artifacts.../../../../../../../../dev/zero": artifact path')
    expect(problems[0].message).toContain('inside the workspace')
    expect(problems[0].message).not.toContain(`${created.file}, field`)

    symlinkSync('/dev/zero', join(repo.dir, 'zero'))
    symlinkSync('/etc/hostname', join(repo.dir, 'host'))
    writeFileSync(file, dumpStateDocument({...doc, artifacts: {zero, host: zero, 'notes.md': doc.artifacts['notes.md']}}))
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'links')
    const links = rigor(repo.dir, ['handoff', 'verify', '--json'])
    expect(links.code).toBe(1)
    expect(json(links).problems.map((p: any) => [p.kind, p.artifact, p.message.split(' (')[0]])).toEqual([
      ['missing', 'zero', 'zero: not read: it leads outside the workspace'],
      ['missing', 'host', 'host: not read: it leads outside the workspace'],
    ])
  })

  it('a hand-made file numbered past 2^53 in the task folder does not make rigor write a handoff its schema refuses', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'notes.md'), 'findings\n')
    mkdirSync(join(repo.dir, 'handoffs', 't'), {recursive: true})
    writeFileSync(join(repo.dir, 'handoffs', 't', '99999999999999999999-a-to-b.yaml'), 'junk: 1\n')
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'a hand-made file')
    const created = rigor(repo.dir, ['handoff', 'create', '--task', 't', '--from', 'a', '--to', 'b', '--artifact', 'notes.md', '--json'])
    expect(created.code, created.stderr).toBe(0)
    expect(json(created).file).toBe('handoffs/t/001-a-to-b.yaml')
    // only the hand-made file is a problem
    const verify = json(rigor(repo.dir, ['handoff', 'verify', '--json']))
    expect(verify.problems.map((p: any) => p.file)).toEqual(['handoffs/t/99999999999999999999-a-to-b.yaml'])
  })

  it('handoff list shows a message with line breaks and terminal escapes on its one line, escaped; --json keeps it as written', () => {
    repo = workspace()
    writeFileSync(join(repo.dir, 'notes.md'), 'findings\n')
    const message = 'cleaned\n2026-01-01T00:00:00.000Z  t #9  mallory -> bob  \u001b[2Jfake'
    const args = ['handoff', 'create', '--task', 't', '--from', 'a', '--to', 'b', '--artifact', 'notes.md', '--message', message]
    expect(rigor(repo.dir, args).code).toBe(0)
    const list = rigor(repo.dir, ['handoff', 'list'])
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(1)
    expect(list.stdout).not.toContain('\u001b')
    expect(list.stdout).toContain('"cleaned\\n2026-01-01T00:00:00.000Z  t #9  mallory -> bob  \\u001b[2Jfake"')
    expect(json(rigor(repo.dir, ['handoff', 'list', '--json'])).handoffs[0].message).toBe(message)
  })

  it('hands over and verifies an artifact larger than 2 GiB (no buffer holds it), not an unexpected error', () => {
    repo = workspace()
    // sparse: no disk is used for the zeros, but every byte is read and hashed
    const big = join(repo.dir, 'weights.bin')
    writeFileSync(big, '')
    truncateSync(big, 2 ** 31 + 1)
    const created = rigor(repo.dir, [
      'handoff',
      'create',
      '--task',
      'model',
      '--from',
      'a',
      '--to',
      'b',
      '--artifact',
      'weights.bin',
      '--json',
    ])
    expect(created.code, created.stdout).toBe(0)
    // the sha256 of 2^31 + 1 zero bytes
    expect(json(created).handoff.artifacts['weights.bin']).toBe(zerosSha256(2 ** 31 + 1))
    const verified = rigor(repo.dir, ['handoff', 'verify', '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    expect(json(verified)).toMatchObject({ok: true, artifacts: 1})
  })
})

describe('rigor handoff list --task', () => {
  it('a bad task name is named as the --task flag it was given with', () => {
    repo = workspace()
    const listed = rigor(repo.dir, ['handoff', 'list', '--task', 'Bad!', '--json'])
    expect(listed.code).toBe(2)
    expect(json(listed).error.message).toMatch(/^field "--task": "Bad!" must be lowercase/)
    expect(json(rigor(repo.dir, ['handoff', 'verify', 'Bad!', '--json'])).error.message).toMatch(/^field "task": /)
  })
})

function zerosSha256(bytes: number): string {
  const hash = createHash('sha256')
  const chunk = Buffer.alloc(1 << 24)
  for (let left = bytes; left > 0; left -= chunk.length) hash.update(left >= chunk.length ? chunk : chunk.subarray(0, left))
  return `sha256:${hash.digest('hex')}`
}

// the receiver's clone, behind the remote, was told an artifact the sender committed and pushed was missing, with
// nothing saying that the shared state has it and this checkout does not yet
describe('rigor handoff verify --remote in a clone behind the remote', () => {
  let root: string | undefined
  afterEach(() => removeRoot(root))

  it('says the checkout is behind the state tip, which has the artifact, and how to bring it along', () => {
    const made = remoteWithClones(2, {nodes: []})
    root = made.root
    const [sender, receiver] = made.clones as [string, string]
    writeFileSync(join(sender, 'prices.csv'), 'date,close\n2024-01-01,100\n')
    git(sender, 'add', 'prices.csv')
    git(sender, 'commit', '-qm', 'data')
    git(sender, 'push', '-q', 'origin', 'main')
    const args = ['handoff', 'create', '--task', 'data-prep', '--from', 'alice', '--to', 'bob', '--artifact', 'prices.csv']
    expect(rigor(sender, [...args, '--remote', 'origin']).code).toBe(0)
    const verify = rigor(receiver, ['handoff', 'verify', '--remote', 'origin'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toMatch(/prices\.csv: missing .*this checkout is not at the state's tip [0-9a-f]{10}, which has prices\.csv/)
    expect(verify.stdout).toContain('git pull --ff-only')
    git(receiver, 'pull', '-q', '--ff-only')
    expect(rigor(receiver, ['handoff', 'verify', '--remote', 'origin']).code).toBe(0)
  })
})
