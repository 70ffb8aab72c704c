import {execFileSync, spawnSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {caseCollisions, decodeOutputName, outputPathProblem} from '../../src/core/validation.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'

// names git's own verify_path or fsck refuses (t1014, t7415), and ones some clone's file system cannot hold
const REFUSED = [
  '.git',
  '.git/config',
  '.GIT/x',
  'GIT~1',
  'git~1/x',
  'Git~12',
  '.git.',
  '.git ',
  '.git. . ',
  'a/.git/b',
  '.git\u200c',
  '.g\u200dit',
  '.gitmodules',
  '.GITMODULES',
  'gitmod~1',
  'gi7eba~1',
  '.gitattributes',
  'gitatt~1',
  '.gitignore',
  '.git::$INDEX_ALLOCATION',
  '',
  '/abs',
  'a//b',
  'a/',
  './a',
  'a/../b',
  '..',
  'a\nb',
  'tab\there',
  'del\x7f',
  'a\\b',
  'a:b',
  'q?',
  'star*',
  'x.',
  'y ',
  'con',
  'CON.txt',
  'aux',
  'nul.csv',
  'com1',
  'lpt9.log',
  'x'.repeat(256),
  `${'d/'.repeat(600)}f`,
  'bad\ufffdname',
]
const ACCEPTED = [
  'returns.csv',
  'sub/dir/positions.csv',
  '.hidden',
  'gitlab.txt',
  'git',
  'github',
  'ñandú.csv',
  'résumé/été.txt',
  'a b.txt',
  'console.log',
  'x~1',
]

describe('output paths', () => {
  it('refuses every name git or a file system would refuse', () => {
    for (const path of REFUSED) expect(outputPathProblem(path), JSON.stringify(path)).toBeDefined()
  })

  it('accepts ordinary names', () => {
    for (const path of ACCEPTED) expect(outputPathProblem(path), path).toBeUndefined()
  })

  it('decodes UTF-8 names and refuses other bytes without throwing', () => {
    expect(decodeOutputName(Buffer.from('été'))).toEqual({ok: true, value: 'été'})
    expect(decodeOutputName(Buffer.from([0x61, 0xff, 0x62])).ok).toBe(false)
    expect(decodeOutputName(Buffer.from([0xc3])).ok).toBe(false)
  })

  it('finds collisions of files and of their directories, whatever the case or normalisation', () => {
    expect(caseCollisions(['A.csv', 'a.csv'])).toEqual([['A.csv', 'a.csv']])
    expect(caseCollisions(['Dir/x', 'dir/y'])).toEqual([['Dir/x', 'dir/y']])
    expect(caseCollisions(['d/x', 'd/y', 'D'])).toEqual([['d/x', 'D']])
    expect(caseCollisions(['caf\u00e9', 'cafe\u0301'])).toEqual([['caf\u00e9', 'cafe\u0301']])
    expect(caseCollisions(['a', 'b', 'c/d', 'c/e'])).toEqual([])
  })
})

// fragments that meet git's special cases, mixed with ordinary text
const fragment = fc.oneof(
  fc.constantFrom(
    '.git',
    '.GiT',
    'git',
    '~1',
    '~',
    '.',
    ' ',
    '\u200c',
    '\ufeff',
    'gitmod',
    'gi7eba',
    'ű',
    'e\u0301',
    ':',
    '\\',
    '\n',
    'con',
    '-',
    '_',
  ),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/),
)
// a name git treats specially, spelled in one of the ways NTFS or HFS+ would still read as it
const disguised = fc
  .tuple(
    fc.constantFrom('.git', 'git', '.GIT', 'Git', '.gitmodules', 'gitmod', 'gi7eba', '.gitattributes'),
    fc.constantFrom('', '~1', '~2', '.', ' ', '. ', '\u200c', '\ufeff', '::$INDEX_ALLOCATION'),
  )
  .map(([name, suffix]) => name + suffix)
const component = fc.oneof(
  fc.array(fragment, {minLength: 1, maxLength: 4}).map((parts) => parts.join('')),
  disguised,
)
const path = fc.array(component, {minLength: 1, maxLength: 3}).map((parts) => parts.join('/'))

describe('git accepts every output path rigor accepts', () => {
  let repo: TempRepo
  let blob: string
  beforeAll(() => {
    repo = gitRepo()
    blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {cwd: repo.dir, input: 'x', encoding: 'utf8'}).trim()
  })
  afterAll(() => repo.cleanup())

  it('in its index with every protection on, and in fsck --strict', () => {
    const index = join(repo.dir, '.git', 'probe-index')
    let accepted = 0
    fc.assert(
      fc.property(path, (p) => {
        if (outputPathProblem(p) !== undefined) return true
        accepted++
        rmSync(index, {force: true})
        const env = {...process.env, ...GIT_ENV, GIT_INDEX_FILE: index}
        const add = spawnSync(
          'git',
          ['-c', 'core.protectNTFS=true', '-c', 'core.protectHFS=true', 'update-index', '--add', '--cacheinfo', `100644,${blob},${p}`],
          {cwd: repo.dir, env, encoding: 'utf8'},
        )
        if (add.status !== 0) throw new Error(`git refused ${JSON.stringify(p)}: ${add.stderr}`)
        spawnSync('git', ['write-tree'], {cwd: repo.dir, env})
        return true
      }),
      {numRuns: 300},
    )
    expect(accepted).toBeGreaterThan(20)
    const fsck = spawnSync('git', ['fsck', '--strict'], {cwd: repo.dir, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
    expect(fsck.stderr).not.toMatch(/error|warning/)
    expect(fsck.status).toBe(0)
  })
})
