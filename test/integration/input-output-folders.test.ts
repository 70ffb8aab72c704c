import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, json, rigor, type CliResult} from '../helpers/cli.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

// a folder name longer than any file system's 255 bytes
const LONG = 'x'.repeat(300)

/** The CLI, ended after 30 seconds: before the fix a folder under /proc made it loop for ever. */
function bounded(cwd: string, args: string[]): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: {...process.env, ...GIT_ENV},
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  })
  return {code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr}
}

function expectRefusedFolder(result: CliResult, field: string, folder: string): void {
  expect(result.code, result.stderr + result.stdout).toBe(2)
  const error = json(result).error
  expect(error.type).toBe('InputError')
  expect(error.exit).toBe(2)
  expect(error.message).toContain(`field "${field}"`)
  expect(error.message).toContain(folder)
  expect(error.fix).toMatch(/write to/)
}

describe('a folder the file system refuses, named for rigor to make', () => {
  it('init, demo, site --out and data generate --out: a name too long is exit 2 naming the field, and nothing is made', () => {
    repo = gitRepo({init: false})
    for (const args of [
      ['init', LONG],
      ['demo', LONG],
      ['data', 'generate', '--out', join(LONG, 'prices.csv')],
    ]) {
      expectRefusedFolder(rigor(repo.dir, [...args, '--json']), args[0] === 'data' ? '--out' : 'DIR', LONG)
    }
    expect(readdirSync(repo.dir)).toEqual([])

    repo.cleanup()
    repo = workspace()
    const tip = repo.git('rev-parse', 'main')
    expectRefusedFolder(rigor(repo.dir, ['site', '--out', LONG, '--json']), '--out', LONG)
    expect(repo.git('rev-parse', 'main')).toBe(tip)
    expect(repo.git('status', '--porcelain')).toBe('')
  })

  it.skipIf(!existsSync('/proc/self'))('a folder under /proc (mkdir answers ENOENT there) is exit 2, not a command that never ends', () => {
    repo = workspace()
    expectRefusedFolder(bounded(repo.dir, ['site', '--out', '/proc/rigor-site', '--json']), '--out', '/proc/rigor-site')
    expectRefusedFolder(bounded(repo.dir, ['data', 'generate', '--out', '/proc/rigor-data/p.csv', '--json']), '--out', '/proc/rigor-data')
    expectRefusedFolder(bounded(repo.dir, ['init', '/proc/rigor-init', '--json']), 'DIR', '/proc/rigor-init')
    expectRefusedFolder(bounded(repo.dir, ['demo', '/proc/rigor-demo', '--json']), 'DIR', '/proc/rigor-demo')
    expect(repo.git('status', '--porcelain')).toBe('')
  })
})

describe("rigor site --out inside the repository's git directory", () => {
  it('is exit 2 naming --out, and writes nothing there (git keeps its objects, refs and hooks there)', () => {
    repo = workspace()
    for (const out of ['.git/site', '.git', '.git/hooks']) {
      const result = rigor(repo.dir, ['site', '--out', out, '--json'])
      expect(result.code, out).toBe(2)
      expect(json<{error: {message: string}}>(result).error.message, out).toContain('field "--out"')
    }
    expect(existsSync(join(repo.dir, '.git', 'site'))).toBe(false)
    expect(readdirSync(join(repo.dir, '.git', 'hooks')).filter((f) => !f.endsWith('.sample'))).toEqual([])
  })
})
