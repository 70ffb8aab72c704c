import {mkdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {SHA1, SHA256} from '../../src/core/git/object-format.js'
import {indexEntryMtimes, racilyCleanEntries} from '../../src/core/git/racy-index.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

// rigor reads the entries' times from git's index file itself (src/core/git/racy-index.ts): what it reads must be
// what git says the index holds, in every index version git writes

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

/** A repository whose index holds files of several times, an intent-to-add entry (an extended flag) and a name too long for the flags' 12 bits. */
function variedIndex(objectFormat: 'sha1' | 'sha256', opts: {intentToAdd: boolean} = {intentToAdd: true}): TempRepo {
  const r = gitRepo({init: false})
  r.git('init', '-q', '-b', 'main', `--object-format=${objectFormat}`)
  mkdirSync(join(r.dir, 'd', 'e'), {recursive: true})
  const files = ['a.txt', 'd/b.yaml', 'd/e/c.yaml', 'd/e/ca.yaml', 'z']
  files.forEach((file, i) => {
    writeFileSync(join(r.dir, file), `${file}\n`)
    // distinct times, so an entry read from the wrong place would be noticed
    utimesSync(join(r.dir, file), 1_700_000_000 + i * 1000, 1_700_000_000 + i * 1000)
  })
  r.git('add', ...files)
  writeFileSync(join(r.dir, 'later.txt'), 'later\n')
  // an extended flag: git then writes version 3 at least
  if (opts.intentToAdd) r.git('add', '--intent-to-add', 'later.txt')
  const blob = r.git('hash-object', '-w', 'a.txt')
  // an index entry needs no file: a path past the 4,095 bytes the flags can say
  const longName = `${'long/'.repeat(900)}name.txt`
  r.git('update-index', '--add', '--cacheinfo', `100644,${blob},${longName}`)
  return r
}

/** The mtimes `git ls-files --debug` shows for the index's entries, in index order. */
function gitsMtimes(r: TempRepo): number[] {
  return r
    .git('ls-files', '--debug')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('mtime:'))
    .map((line) => Number(line.trim().slice('mtime:'.length).trim().split(':')[0]))
}

describe('indexEntryMtimes', () => {
  for (const objectFormat of ['sha1', 'sha256'] as const)
    for (const version of [2, 3, 4])
      it(`reads what git says of every entry of a version ${version} index (${objectFormat})`, () => {
        repo = variedIndex(objectFormat, {intentToAdd: version > 2})
        repo.git('update-index', '--index-version', String(version))
        const bytes = readFileSync(join(repo.dir, '.git', 'index'))
        expect(bytes.readUInt32BE(4)).toBe(version)
        const expected = gitsMtimes(repo)
        expect(expected.length).toBe(version > 2 ? 7 : 6)
        expect(indexEntryMtimes(bytes, objectFormat === 'sha1' ? SHA1 : SHA256)).toEqual(expected)
      })

  it('knows no index in something else, or in a cut-off index', () => {
    repo = variedIndex('sha1')
    const bytes = readFileSync(join(repo.dir, '.git', 'index'))
    expect(indexEntryMtimes(Buffer.from('not an index at all'), SHA1)).toBeUndefined()
    expect(indexEntryMtimes(bytes.subarray(0, 200), SHA1)).toBeUndefined()
    expect(racilyCleanEntries(bytes.subarray(0, 200), 0, SHA1)).toBe(0)
  })

  it('counts the entries whose file is not older than the index, to the second, as git does', () => {
    repo = variedIndex('sha1')
    const bytes = readFileSync(join(repo.dir, '.git', 'index'))
    // the five files are 1,000 s apart from 1,700,000,000; the intent-to-add and the long entry hold no time
    expect(racilyCleanEntries(bytes, 1_700_002_000, SHA1)).toBe(3)
    expect(racilyCleanEntries(bytes, 1_700_002_001, SHA1)).toBe(2)
  })
})
