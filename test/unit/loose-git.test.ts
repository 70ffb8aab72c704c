import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {deflateSync} from 'node:zlib'
import fc from 'fast-check'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {RefConflictError, RefLockedError} from '../../src/core/errors.js'
import {inflateStored, LooseObjectReader} from '../../src/core/git/loose-read.js'
import {moveLooseRef, probeLooseRefs} from '../../src/core/git/loose-ref.js'
import {packedRefTarget} from '../../src/core/git/packed-refs.js'
import {LooseObjectWriter, objectId, storedZlib} from '../../src/core/git/objects.js'
import {SHA1} from '../../src/core/git/object-format.js'
import {Repo} from '../../src/core/git/repo.js'
import {runGit} from '../../src/core/git/exec.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

// rigor reads loose objects and moves loose refs itself, as git does (src/core/git/loose-read.ts, loose-ref.ts):
// what it reads and writes must be what git reads and writes

let repo: TempRepo
beforeEach(() => {
  repo = gitRepo()
  writeFileSync(join(repo.dir, 'a.txt'), 'alpha\n')
  repo.git('add', 'a.txt')
  repo.git('commit', '-q', '-m', 'first')
})
afterEach(() => repo.cleanup())

const objectsDir = () => join(repo.dir, '.git', 'objects')
const paths = () => ({root: repo.dir, gitDir: join(repo.dir, '.git'), commonDir: join(repo.dir, '.git')})
const git = (args: readonly string[]) => runGit(args, {cwd: repo.dir, allowFailure: true})

describe('LooseObjectReader', () => {
  it("reads git's own (deflated) loose objects and rigor's (stored) ones as cat-file does", () => {
    const reader = new LooseObjectReader(objectsDir(), SHA1)
    const writer = new LooseObjectWriter(objectsDir(), SHA1)
    const ours = writer.writeBlob('written by rigor\n')
    for (const oid of [repo.git('rev-parse', 'HEAD'), repo.git('rev-parse', 'HEAD^{tree}'), repo.git('rev-parse', 'HEAD:a.txt'), ours]) {
      const found = reader.read(oid)
      expect(found?.type).toBe(repo.git('cat-file', '-t', oid))
      expect(found?.body.toString('utf8').trim()).toBe(repo.git('cat-file', found!.type, oid))
    }
  })

  it('reads objects larger than its scratch buffer, and keeps each body apart from the next read', () => {
    const reader = new LooseObjectReader(objectsDir(), SHA1)
    const writer = new LooseObjectWriter(objectsDir(), SHA1)
    // rigor's stored objects: the bytes read are the object's, so a body that were a view of the buffer would change
    const small = writer.writeBlob('first\n')
    const big = 'x'.repeat(200 * 1024) + '\n'
    const large = writer.writeBlob(big)
    const first = reader.read(small)
    expect(reader.read(large)?.body.toString('utf8')).toBe(big)
    expect(reader.read(writer.writeBlob('second, longer than the first\n'))?.type).toBe('blob')
    expect(first?.body.toString('utf8')).toBe('first\n')
    // git reads the large one as rigor does (the helper trims the last newline)
    expect(repo.git('cat-file', 'blob', large).length).toBe(big.length - 1)
  })

  it('reads many objects, loose and packed, as cat-file does: the loose ones itself, the packed ones left to git', async () => {
    for (let i = 0; i < 40; i++) writeFileSync(join(repo.dir, `p${i}.txt`), `packed ${i}\n`)
    repo.git('add', '.')
    repo.git('commit', '-q', '-m', 'packed')
    repo.git('gc', '-q', '--prune=now')
    const writer = new LooseObjectWriter(objectsDir(), SHA1)
    const loose = Array.from({length: 40}, (_, i) => writer.writeBlob(`loose ${i}\n`))
    const packed = Array.from({length: 40}, (_, i) => repo.git('rev-parse', `HEAD:p${i}.txt`))
    const names = [...packed, ...loose, 'HEAD:p0.txt', '0'.repeat(40)].sort()
    const batch = new LooseObjectReader(objectsDir(), SHA1).batch()
    const found = names.map((name) => batch.read(name))
    expect(names.filter((_, i) => found[i] !== undefined).sort()).toEqual([...loose].sort())
    const opened = await Repo.open(repo.dir)
    try {
      const objects = await opened.cat.readMany(names)
      const seen: string[] = []
      await opened.cat.readEach(names, (i, obj) => seen.push(`${i} ${obj?.body.toString('utf8') ?? 'missing'}`))
      const expected = names.map((name) => (name === '0'.repeat(40) ? undefined : repo.git('cat-file', 'blob', name)))
      expect(objects.map((o) => o?.body.toString('utf8').trim())).toEqual(expected)
      expect(seen.sort()).toEqual(names.map((_, i) => `${i} ${objects[i]?.body.toString('utf8') ?? 'missing'}`).sort())
    } finally {
      opened.close()
    }
  })

  it("readEach throws what the caller's function threw, once every read asked of git has answered, and hands over nothing after it", async () => {
    for (let i = 0; i < 30; i++) writeFileSync(join(repo.dir, `p${i}.txt`), `packed ${i}\n`)
    repo.git('add', '.')
    repo.git('commit', '-q', '-m', 'packed')
    repo.git('gc', '-q', '--prune=now')
    const names = Array.from({length: 30}, (_, i) => repo.git('rev-parse', `HEAD:p${i}.txt`))
    const opened = await Repo.open(repo.dir)
    try {
      const handed: number[] = []
      const failed = opened.cat.readEach(names, (i) => {
        handed.push(i)
        if (handed.length === 3) throw new Error('third answer refused')
      })
      await expect(failed).rejects.toThrow('third answer refused')
      expect(handed).toHaveLength(3)
      // the reader is left in step: the next reads get their own answers
      const again = await opened.cat.readMany(names.slice(0, 2))
      expect(again.map((o) => o?.body.toString('utf8'))).toEqual(['packed 0\n', 'packed 1\n'])
    } finally {
      opened.close()
    }
  })

  it('leaves to git a name that is not a full object id, a packed object, a damaged file and every read of a repository with replace refs', () => {
    expect(new LooseObjectReader(objectsDir(), SHA1).read('HEAD:a.txt')).toBeUndefined()
    expect(new LooseObjectReader(objectsDir(), SHA1).read(repo.git('rev-parse', '--short', 'HEAD'))).toBeUndefined()
    const blob = repo.git('rev-parse', 'HEAD:a.txt')
    const file = join(objectsDir(), blob.slice(0, 2), blob.slice(2))
    const bytes = readFileSync(file)
    chmodSync(file, 0o644)
    writeFileSync(file, Buffer.concat([bytes.subarray(0, -1), Buffer.from([bytes.at(-1)! ^ 1])]))
    expect(new LooseObjectReader(objectsDir(), SHA1).read(blob)).toBeUndefined()
    const ours = new LooseObjectWriter(objectsDir(), SHA1).writeBlob('stored\n')
    const oursFile = join(objectsDir(), ours.slice(0, 2), ours.slice(2))
    const oursBytes = readFileSync(oursFile)
    chmodSync(oursFile, 0o644)
    writeFileSync(oursFile, Buffer.concat([oursBytes.subarray(0, 10), Buffer.from([oursBytes[10]! ^ 1]), oursBytes.subarray(11)]))
    expect(new LooseObjectReader(objectsDir(), SHA1).read(ours)).toBeUndefined()
    writeFileSync(oursFile, oursBytes)
    writeFileSync(file, bytes)
    repo.git('gc', '-q', '--prune=now')
    expect(existsSync(file)).toBe(false)
    expect(new LooseObjectReader(objectsDir(), SHA1).read(repo.git('rev-parse', 'HEAD'))).toBeUndefined()

    const other = gitRepo()
    try {
      writeFileSync(join(other.dir, 'a.txt'), 'one\n')
      other.git('add', 'a.txt')
      other.git('commit', '-q', '-m', 'one')
      const first = other.git('rev-parse', 'HEAD')
      other.git('commit', '-q', '--allow-empty', '-m', 'two')
      other.git('replace', first, other.git('rev-parse', 'HEAD'))
      expect(new LooseObjectReader(join(other.dir, '.git', 'objects'), SHA1).read(first)).toBeUndefined()
    } finally {
      other.cleanup()
    }
  })

  it('unwraps stored zlib streams exactly and declines every other stream (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 140_000}), fc.integer({min: 1, max: 9}), (array, level) => {
        const data = Buffer.from(array)
        expect(inflateStored(storedZlib(data))?.equals(data)).toBe(true)
        expect(inflateStored(deflateSync(data, {level: 0}))?.equals(data)).toBe(true)
        // a compressed stream is never misread as stored blocks: declined, or (when zlib itself stored it) exact
        const unwrapped = inflateStored(deflateSync(data, {level}))
        if (unwrapped) expect(unwrapped.equals(data)).toBe(true)
      }),
      {numRuns: 60},
    )
  })
})

describe('moveLooseRef', () => {
  const move = async (ref: string, next: string, expected: string) => {
    const setup = await probeLooseRefs(paths(), git)
    expect(setup).toBeDefined()
    return moveLooseRef(paths(), SHA1, setup!, {ref, next, expected, message: 'rigor'})
  }

  it('moves the branch with a reflog entry for it and for HEAD, as git update-ref -m does; git fsck finds nothing', async () => {
    const tip = repo.git('rev-parse', 'HEAD')
    const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'next')
    expect(await move('refs/heads/main', next, tip)).toBe('moved')
    expect(repo.git('rev-parse', 'main')).toBe(next)
    expect(repo.git('reflog', 'show', '--format=%H %gs', 'refs/heads/main').split('\n')[0]).toBe(`${next} rigor`)
    expect(repo.git('reflog', 'show', '--format=%H %gs', 'HEAD').split('\n')[0]).toBe(`${next} rigor`)
    expect(repo.git('reflog', 'show', '--format=%gn <%ge>', 'HEAD').split('\n')[0]).toBe('Rigor Test <test@rigor.invalid>')
    expect(existsSync(join(repo.dir, '.git', 'refs', 'heads', 'main.lock'))).toBe(false)
    expect(repo.git('fsck', '--no-progress')).toBe('')
  })

  it('refuses a ref that moved (RefConflictError) and one whose lock is held (RefLockedError), changing nothing', async () => {
    const tip = repo.git('rev-parse', 'HEAD')
    const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'next')
    await expect(move('refs/heads/main', next, next)).rejects.toBeInstanceOf(RefConflictError)
    expect(existsSync(join(repo.dir, '.git', 'refs', 'heads', 'main.lock'))).toBe(false)
    writeFileSync(join(repo.dir, '.git', 'refs', 'heads', 'main.lock'), '')
    await expect(move('refs/heads/main', next, tip)).rejects.toBeInstanceOf(RefLockedError)
    expect(repo.git('rev-parse', 'main')).toBe(tip)
    expect(repo.git('reflog', 'show', '--format=%H', 'refs/heads/main').split('\n')).toEqual([tip])
  })

  it('leaves to git a ref that is only packed, a symbolic one and a per-worktree one', async () => {
    const tip = repo.git('rev-parse', 'HEAD')
    const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'next')
    repo.git('branch', 'packed')
    repo.git('pack-refs', '--all')
    expect(await move('refs/heads/packed', next, tip)).toBe('git')
    repo.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/main')
    expect(await move('refs/heads/alias', next, tip)).toBe('git')
    expect(await move('refs/bisect/bad', next, tip)).toBe('git')
    expect(repo.git('rev-parse', 'packed')).toBe(tip)
  })

  it("is not used where git must move refs itself: a reference-transaction hook runs for rigor's commits", async () => {
    const hooks = join(repo.dir, '.git', 'hooks')
    mkdirSync(hooks, {recursive: true})
    writeFileSync(join(hooks, 'reference-transaction'), `#!/bin/sh\necho "$1" >> "${join(repo.dir, '.git', 'hook-ran')}"\n`)
    chmodSync(join(hooks, 'reference-transaction'), 0o755)
    expect(await probeLooseRefs(paths(), git)).toBeUndefined()
    const opened = await Repo.open(repo.dir)
    try {
      const tip = repo.git('rev-parse', 'HEAD')
      const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'next')
      await opened.compareAndSwapRef('refs/heads/main', next, tip)
      expect(repo.git('rev-parse', 'main')).toBe(next)
      expect(readFileSync(join(repo.dir, '.git', 'hook-ran'), 'utf8')).toContain('committed')
    } finally {
      await opened.close()
    }
  })

  it('follows core.logAllRefUpdates: no reflog is created when it is false', async () => {
    repo.git('config', 'core.logAllRefUpdates', 'false')
    const tip = repo.git('rev-parse', 'HEAD')
    repo.git('update-ref', 'refs/rigor/state', tip)
    const next = repo.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'next')
    expect(await move('refs/rigor/state', next, tip)).toBe('moved')
    expect(repo.git('rev-parse', 'refs/rigor/state')).toBe(next)
    expect(existsSync(join(repo.dir, '.git', 'logs', 'refs', 'rigor', 'state'))).toBe(false)
  })
})

describe('LooseObjectWriter beside git gc', () => {
  it('writes into a fan-out directory that git removed once it emptied it (gc packing its objects)', () => {
    const writer = new LooseObjectWriter(objectsDir(), SHA1)
    const first = writer.writeBlob('the first\n')
    const fanout = first.slice(0, 2)
    // another object of the same directory, found by trying contents
    let content = ''
    for (let i = 0; ; i++) {
      content = `the second, try ${i}\n`
      if (objectId('blob', Buffer.from(content), SHA1).startsWith(fanout)) break
    }
    // what git gc does after packing: the loose copies go, and so does the emptied directory
    repo.git('repack', '-q', '-a', '-d')
    repo.git('prune-packed')
    rmSync(join(objectsDir(), fanout), {recursive: true, force: true})
    expect(readdirSync(objectsDir())).not.toContain(fanout)
    const second = writer.writeBlob(content)
    expect(second.slice(0, 2)).toBe(fanout)
    expect(repo.git('cat-file', 'blob', second)).toBe(content.trimEnd())
  })
})

describe('Repo.readRef on packed refs', () => {
  it('reads a packed branch from packed-refs as git rev-parse does, and asks git of a tag, a symbolic ref and a missing one', async () => {
    const first = repo.git('rev-parse', 'HEAD')
    repo.git('commit', '-q', '--allow-empty', '-m', 'second')
    const second = repo.git('rev-parse', 'HEAD')
    repo.git('branch', 'x/main', first)
    repo.git('branch', 'other', first)
    repo.git('tag', '-a', '-m', 'annotated', 'v1', first)
    repo.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/other')
    repo.git('pack-refs', '--all')
    const packedText = readFileSync(join(repo.dir, '.git', 'packed-refs'), 'utf8')
    expect(existsSync(join(repo.dir, '.git', 'refs', 'heads', 'main'))).toBe(false)
    // the packed lines themselves: a branch by its own line only, a tag left to git (it must be peeled)
    expect(packedRefTarget(packedText, 'refs/heads/main', SHA1)).toBe(second)
    expect(packedRefTarget(packedText, 'refs/heads/x/main', SHA1)).toBe(first)
    expect(packedRefTarget(packedText, 'main', SHA1)).toBeUndefined()
    expect(packedRefTarget(packedText, 'refs/tags/v1', SHA1)).toBeUndefined()
    expect(packedRefTarget(packedText, 'refs/heads/nothing', SHA1)).toBeUndefined()
    // a loose ref written after packing shadows the packed line, as in git
    repo.git('update-ref', 'refs/heads/other', second)
    const opened = await Repo.open(repo.dir)
    try {
      for (const ref of ['refs/heads/main', 'refs/heads/x/main', 'refs/heads/other', 'refs/heads/alias', 'refs/tags/v1'])
        expect(await opened.readRef(ref), ref).toBe(repo.git('rev-parse', '--verify', '-q', `${ref}^{commit}`))
      expect(await opened.readRef('refs/heads/nothing')).toBeUndefined()
    } finally {
      opened.close()
    }
  })

  it('starts no git process to read a packed branch', async () => {
    repo.git('pack-refs', '--all')
    const opened = await Repo.open(repo.dir)
    const head = repo.git('rev-parse', 'HEAD')
    const trace = join(repo.dir, 'trace2.json')
    const before = process.env.GIT_TRACE2_EVENT
    process.env.GIT_TRACE2_EVENT = trace
    try {
      expect(await opened.readRef('refs/heads/main')).toBe(head)
      // the same call on a ref packed-refs does not hold plainly does start one: the trace would see it
      await opened.readRef('refs/heads/nothing')
    } finally {
      if (before === undefined) delete process.env.GIT_TRACE2_EVENT
      else process.env.GIT_TRACE2_EVENT = before
      opened.close()
    }
    const starts = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {event: string; argv?: string[]})
      .filter((e) => e.event === 'start')
    expect(starts.map((e) => e.argv!.slice(1).join(' '))).toEqual(['rev-parse --verify -q refs/heads/nothing^{commit}'])
  })
})

describe('Repo.readRef in a linked worktree', () => {
  it("reads a detached linked worktree's own HEAD, not the main checkout's, when both are detached", async () => {
    const first = repo.git('rev-parse', 'HEAD')
    repo.git('commit', '-q', '--allow-empty', '-m', 'second')
    const second = repo.git('rev-parse', 'HEAD')
    const linked = `${repo.dir}-linked`
    repo.git('worktree', 'add', '-q', '--detach', linked, first)
    repo.git('checkout', '-q', '--detach', second)
    const opened = await Repo.open(linked)
    try {
      expect(await opened.readRef('HEAD')).toBe(first)
      expect(await opened.readRef('refs/heads/main')).toBe(second)
    } finally {
      opened.close()
      rmSync(linked, {recursive: true, force: true})
    }
  })
})
