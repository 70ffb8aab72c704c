import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, verdictRunner} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
const hostile = (...args: string[]) => [process.execPath, join(FIXTURES, 'hostile-outputs.cjs'), ...args]

let repo: TempRepo
let scratch: string | undefined
afterEach(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
  scratch = undefined
})

/** git with every path protection on, as on a Mac or Windows clone. */
const protectedGit = (cwd: string, ...args: string[]) =>
  spawnSync('git', ['-c', 'core.protectNTFS=true', '-c', 'core.protectHFS=true', ...args], {
    cwd,
    env: {...process.env, ...GIT_ENV},
    encoding: 'utf8',
  })

describe('runner outputs git would refuse', () => {
  it('are left out and recorded; the branch stays checkable-out everywhere and fsck --strict is clean', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'names/hostile', team: 'default', run: {command: hostile(), timeout: '1m'}},
        {id: 'names/declares-link', team: 'default', run: {command: hostile('declare-link'), timeout: '1m'}},
        // in the sandbox RIGOR_OUT is a mount the runner cannot replace: this defence is for runs without one
        {id: 'names/swap-out', team: 'default', run: {command: hostile('swap-out'), timeout: '1m', sandbox: 'off'}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)

    const shown = json(rigor(repo.dir, ['show', 'names/hostile', '--json']))
    expect(shown.status, JSON.stringify(shown.verdict)).toBe('proven_accepted')
    const omitted = new Map<string, string>(shown.verdict.omitted.map((o: {path: string; reason: string}) => [o.path, o.reason]))
    for (const path of [
      'out/.git/config',
      'out/.GIT/x',
      'out/GIT~1',
      'out/.git.',
      'out/a\\nb',
      'out/report.csv',
      'out/sub/two',
      'out/bad\\xff',
      'out/passwd',
    ]) {
      expect(omitted.has(path), `${path} in ${[...omitted.keys()].join(', ')}`).toBe(true)
    }
    expect(omitted.get('out/passwd')).toContain('symbolic link')
    expect(omitted.get('out/report.csv')).toContain('Report.csv')
    expect(omitted.get('out/bad\\xff')).toContain('UTF-8')
    expect(Object.keys(shown.verdict.artifacts).sort()).toEqual([
      'out/Report.csv',
      'out/Sub/one',
      'out/returns.csv',
      'out/run.log',
      'out/verdict.json',
    ])

    const declared = json(rigor(repo.dir, ['show', 'names/declares-link', '--json']))
    expect(declared.status).toBe('inconclusive')
    expect(declared.reason).toMatch(/declares artifact "passwd", which was left out: a symbolic link/)

    // RIGOR_OUT swapped for a link: nothing read through it, nothing removed behind it
    const swapped = json(rigor(repo.dir, ['show', 'names/swap-out', '--json']))
    expect(swapped.status).toBe('inconclusive')
    expect(swapped.reason).toContain('RIGOR_OUT was replaced by a symbolic link')
    expect(swapped.verdict.artifacts).toEqual({})
    const elsewhere = readFileSync(join(repo.dir, '.git', 'elsewhere.txt'), 'utf8')
    expect(readFileSync(join(elsewhere, 'secret.txt'), 'utf8')).toContain('not for the commit')
    rmSync(elsewhere, {recursive: true, force: true})
    rmSync(join(repo.dir, '.git', 'elsewhere.txt'))

    const files = repo.git('ls-tree', '-r', '--name-only', 'main')
    const outputs = new Set(
      files
        .split('\n')
        .filter((f) => f.includes('/out/'))
        .map((f) => f.replace(/^.*?\/out\//, '')),
    )
    expect([...outputs].sort()).toEqual(['Report.csv', 'Sub/one', 'returns.csv', 'run.log', 'verdict.json'])
    expect(protectedGit(repo.dir, 'reset', '--hard').status).toBe(0)
    expect(protectedGit(repo.dir, 'fsck', '--strict').stderr).not.toMatch(/error|warning/)
    scratch = mkdtempSync(join(tmpdir(), 'rigor-clone-'))
    const clone = protectedGit(scratch, 'clone', '-q', repo.dir, 'copy')
    expect(clone.status, clone.stderr).toBe(0)
    expect(readFileSync(join(scratch, 'copy/experiments/names/hostile/out/returns.csv'), 'utf8')).toContain('2020-01-01')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })
})

describe('output limits', () => {
  it('cut notes, metrics, files and run.log, record what was left out, and keep verify fast', () => {
    repo = workspace()
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${config}\nrunner: {limits: {file_size: 1MB, run_log: 64KB}}\n`)
    repo.git('commit', '-qam', 'limits')
    writeSpec(repo.dir, {
      nodes: [{id: 'flood/one', team: 'default', run: {command: [process.execPath, join(FIXTURES, 'flood-outputs.cjs')], timeout: '5m'}}],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work', '--json'])
    expect(work.code, work.stderr).toBe(0)

    const shown = json(rigor(repo.dir, ['show', 'flood/one', '--json']))
    const verdict = shown.verdict
    expect(shown.status).toBe('proven_accepted')
    expect(Object.keys(verdict.metrics)).toHaveLength(500)
    expect(verdict.metrics.sharpe).toBe(1)
    expect(verdict.notes.length).toBeLessThan(64 * 1024 + 200)
    expect(verdict.notes).toContain('notes truncated: 104857600 bytes')
    expect(verdict.truncated).toEqual([
      {path: 'notes', bytes: 100 * 1024 * 1024, kept: 64 * 1024},
      {path: 'out/run.log', bytes: 300 * 1024, kept: 64 * 1024},
    ])
    expect(verdict.omitted).toEqual(
      expect.arrayContaining([
        {path: 'metrics.x499', reason: expect.stringContaining('runner.limits.metrics'), count: 101},
        {path: 'out/big.bin', reason: expect.stringContaining('runner.limits.file_size'), bytes: 2 * 1024 * 1024},
        {path: 'out/verdict.json', reason: expect.stringContaining('runner.limits.file_size'), bytes: expect.any(Number)},
        {path: 'out/many/f001000', reason: expect.stringContaining('runner.limits.files'), count: 99_000},
      ]),
    )
    expect(Object.keys(verdict.artifacts)).toHaveLength(1001)
    const log = readFileSync(join(repo.dir, 'experiments/flood/one/out/run.log'), 'utf8')
    expect(log).toContain('run.log truncated: 307200 bytes')
    expect(statSync(join(repo.dir, 'experiments/flood/one/verdict.yaml')).size).toBeLessThan(200_000)

    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code).toBe(0)
    expect(json(verify).ok).toBe(true)
    expect(rigor(repo.dir, ['status']).code).toBe(0)
    expect(execFileSync('git', ['status', '--porcelain'], {cwd: repo.dir, encoding: 'utf8'})).toBe('?? spec.yaml\n')
  })
})

/** A runner (node -e) that writes a verdict accepting the node, then runs `body` with `fs`, `path` and `out` (RIGOR_OUT). */
const acceptingThen = (body: string) => [
  process.execPath,
  '-e',
  `const fs = require('fs'), path = require('path'), out = process.env.RIGOR_OUT
fs.writeFileSync(path.join(out, 'verdict.json'), JSON.stringify({metrics: {sharpe: 1}}))
${body}`,
]

describe('runner outputs shaped to break the reader', () => {
  it('a verdict.json nested 200,000 deep is an inconclusive run with the reason, and the work loop goes on', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'shape/deep-json',
          team: 'default',
          run: {
            command: acceptingThen(
              `fs.writeFileSync(path.join(out, 'verdict.json'), '{"metrics":{"sharpe":1},"x":' + '['.repeat(200000) + ']'.repeat(200000) + '}')`,
            ),
            timeout: '1m',
          },
        },
        {id: 'shape/after', team: 'default', run: {command: acceptingThen(''), timeout: '1m'}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work'])
    expect(work.code, work.stderr).toBe(0)
    expect(work.stderr).not.toContain('call stack')
    const deep = json(rigor(repo.dir, ['show', 'shape/deep-json', '--json']))
    expect(deep.status).toBe('inconclusive')
    expect(deep.verdict.reason).toBe('verdict.json nests arrays or objects more than 64 levels deep')
    expect(json(rigor(repo.dir, ['show', 'shape/after', '--json'])).status).toBe('proven_accepted')
  })

  it('a directory tree deeper than PATH_MAX is left out with the reason, and the run directory is removed', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'shape/deep-dirs',
          team: 'default',
          // each directory made from inside the last: the whole path passes the kernel's 4096 bytes
          run: {
            command: acceptingThen(`process.chdir(out)
for (let i = 0; i < 200; i++) { fs.mkdirSync('d'.repeat(50)); process.chdir('d'.repeat(50)) }
fs.writeFileSync('deepest', 'x')`),
            timeout: '1m',
          },
        },
        {id: 'shape/after', team: 'default', run: {command: acceptingThen(''), timeout: '1m'}},
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const work = rigor(repo.dir, ['work'])
    expect(work.stderr).not.toContain('ENAMETOOLONG')
    expect(work.code, work.stderr).toBe(0)
    const deep = json(rigor(repo.dir, ['show', 'shape/deep-dirs', '--json']))
    expect(deep.status).toBe('proven_accepted')
    expect(deep.verdict.omitted).toEqual([
      {path: expect.stringMatching(/^out\/d{50}\//), reason: 'the directory could not be read (ENAMETOOLONG)'},
    ])
    expect(json(rigor(repo.dir, ['show', 'shape/after', '--json'])).status).toBe('proven_accepted')
    expect(readdirSync(join(repo.dir, '.git', 'rigor', 'runs'))).toEqual([])
  })

  it('a metric named "constructor" does not keep a gate from rejecting the run', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'shape/constructor',
          team: 'default',
          run: {command: verdictRunner({sharpe: -1, constructor: 5}), timeout: '1m'},
        },
      ],
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const shown = json(rigor(repo.dir, ['show', 'shape/constructor', '--json']))
    expect(shown.status).toBe('proven_rejected')
    expect(shown.verdict.metrics).toEqual({sharpe: -1, constructor: 5})
  })
})
