import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inflateSync} from 'node:zlib'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {SHA1} from '../../src/core/git/object-format.js'
import {LooseObjectWriter, objectId, storedZlib} from '../../src/core/git/objects.js'
import {Repo} from '../../src/core/git/repo.js'
import {editTree} from '../../src/core/git/tree-edit.js'
import {GIT_ENV} from '../helpers/git-repo.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

describe.each(['sha1', 'sha256'] as const)('objects in a %s repository', (format) => {
  it('hash, write and parse as git does', async () => {
    const dir = mkdtempSync(join(tmpdir(), `rigor-${format}-`))
    dirs.push(dir)
    const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()
    git('init', '-q', '-b', 'main', `--object-format=${format}`)
    const repo = await Repo.open(dir)
    try {
      expect(repo.format.name).toBe(format)
      const blob = repo.objects.writeBlob('hello\n')
      expect(blob).toBe(execFileSync('git', ['hash-object', '--stdin'], {cwd: dir, input: 'hello\n', encoding: 'utf8'}).trim())
      // empty, at the limit of what is stored uncompressed (4,096 bytes), just past it (deflated), and large
      for (const size of [0, 4096, 4097, 200_000]) {
        const content = Buffer.from(Array.from({length: size}, (_, i) => (i * 7919) % 251))
        const oid = repo.objects.writeBlob(content)
        expect(oid).toBe(execFileSync('git', ['hash-object', '--stdin'], {cwd: dir, input: content, encoding: 'utf8'}).trim())
        expect(execFileSync('git', ['cat-file', 'blob', oid], {cwd: dir, maxBuffer: 1 << 24}).equals(content)).toBe(true)
      }
      const tree = await editTree(
        repo,
        undefined,
        new Map([
          ['a/b.txt', 'hello\n'],
          ['c.txt', 'x'],
        ]),
      )
      const commit = await repo.writeCommit(tree, [], 'test\n')
      await repo.compareAndSwapRef('refs/heads/main', commit, undefined)
      expect(await repo.readRef('refs/heads/main')).toBe(commit)
      expect(commit).toHaveLength(format === 'sha1' ? 40 : 64)
      expect(git('ls-tree', '-r', '--name-only', 'main').split('\n')).toEqual(['a/b.txt', 'c.txt'])
      // entries parsed in process carry ids of the repository's length
      const sub = (await repo.readTreeEntries(tree)).find((e) => e.name === 'a')!
      expect(sub.oid).toBe(git('rev-parse', 'main:a'))
      expect((await repo.readFileAt(commit, 'a/b.txt'))?.toString()).toBe('hello\n')
      git('fsck', '--strict', '--no-dangling')
    } finally {
      await repo.close()
    }
  })
})

describe('a loose object write that fails', () => {
  it('leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigor-objects-'))
    dirs.push(dir)
    const objects = join(dir, 'objects')
    const writer = new LooseObjectWriter(objects, SHA1)
    const oid = objectId('blob', Buffer.from('x'), SHA1)
    // a directory where the object file should go: the rename fails as a full disk would fail the write
    mkdirSync(join(objects, oid.slice(0, 2), oid.slice(2), 'inside'), {recursive: true})
    expect(() => writer.writeBlob('x')).toThrow()
    expect(readdirSync(join(objects, oid.slice(0, 2)))).toEqual([oid.slice(2)])
  })
})

describe('objects stored without compression', () => {
  it('are zlib streams that zlib reads back, of any size, across block boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 300}), fc.constantFrom(0, 1, 65_534, 65_535, 65_536, 131_071, 200_000), (bytes, extra) => {
        const data = Buffer.concat([Buffer.from(bytes), Buffer.alloc(extra, 7)])
        expect(inflateSync(storedZlib(data)).equals(data)).toBe(true)
      }),
      {numRuns: 60},
    )
  })
})
