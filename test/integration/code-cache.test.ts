import {copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

// bin/run.js compiles the CLI bundle with V8's code cache, kept in $XDG_CACHE_HOME/rigor
describe('the CLI code cache', () => {
  let repo: TempRepo | undefined
  let cacheHome: string | undefined
  afterEach(() => {
    repo?.cleanup()
    if (cacheHome) rmSync(cacheHome, {recursive: true, force: true})
  })

  const cacheFiles = (home: string): string[] => {
    try {
      return readdirSync(join(home, 'rigor')).map((name) => join(home, 'rigor', name))
    } catch {
      return []
    }
  }
  const status = (env: Record<string, string>) => {
    const result = rigor(repo!.dir, ['status', '--json'], env)
    expect(result.code, result.stderr).toBe(0)
    return JSON.parse(result.stdout)
  }

  it('is written by the first run of a build, read by the next, rewritten when V8 refuses it, and never needed', () => {
    repo = workspace()
    cacheHome = mkdtempSync(join(tmpdir(), 'rigor-code-cache-'))
    const env = {XDG_CACHE_HOME: cacheHome}
    const expected = status({RIGOR_CODE_CACHE: 'off', XDG_CACHE_HOME: cacheHome})
    expect(cacheFiles(cacheHome)).toEqual([])

    expect(status(env)).toEqual(expected)
    const [file, ...others] = cacheFiles(cacheHome)
    expect(others).toEqual([])
    expect(file).toMatch(new RegExp(`cli-[0-9a-f]{32}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`))
    const written = readFileSync(file!)
    expect(written.length).toBeGreaterThan(100_000)

    // a run that finds the cache does not write it again
    const before = statSync(file!).mtimeMs
    expect(status(env)).toEqual(expected)
    expect(statSync(file!).mtimeMs).toBe(before)
    expect(readFileSync(file!).equals(written)).toBe(true)

    // damaged (a disk error, a half-copied home): V8 refuses it, the command runs, the cache is written anew
    writeFileSync(file!, Buffer.concat([written.subarray(0, 64), Buffer.alloc(4096, 0x5a)]))
    expect(status(env)).toEqual(expected)
    expect(readFileSync(file!).length).toBeGreaterThan(100_000)
    expect(cacheFiles(cacheHome).filter((name) => name.endsWith('.tmp'))).toEqual([])

    // a cache directory that cannot be made costs nothing but the cache
    const blocked = join(cacheHome, 'not-a-directory')
    writeFileSync(blocked, '')
    expect(status({XDG_CACHE_HOME: blocked})).toEqual(expected)
  })

  it('`work` keeps one of its own, compiled under its V8 flags: written once, read after, and refused by other commands', () => {
    repo = workspace()
    cacheHome = mkdtempSync(join(tmpdir(), 'rigor-code-cache-'))
    const env = {XDG_CACHE_HOME: cacheHome}
    const work = () => {
      const result = rigor(repo!.dir, ['work', '--json'], env)
      expect(result.code, result.stderr).toBe(0)
      expect(JSON.parse(result.stdout).stopped_because).toBe('empty')
    }
    work()
    const [workFile, ...none] = cacheFiles(cacheHome)
    expect(none).toEqual([])
    expect(workFile).toMatch(/-work\.v8$/)
    const written = statSync(workFile!).mtimeMs
    const expected = status(env)
    const [plainFile] = cacheFiles(cacheHome).filter((name) => name !== workFile)
    expect(plainFile).toMatch(new RegExp(`-${process.arch}\\.v8$`))
    // each command reads its own: neither is written again
    const plainWritten = statSync(plainFile!).mtimeMs
    work()
    expect(status(env)).toEqual(expected)
    expect(statSync(workFile!).mtimeMs).toBe(written)
    expect(statSync(plainFile!).mtimeMs).toBe(plainWritten)
    // V8 refuses work's cache for a command run without work's flags: the flags are in effect, and the caches apart
    copyFileSync(workFile!, plainFile!)
    const copied = readFileSync(plainFile!)
    expect(status(env)).toEqual(expected)
    expect(readFileSync(plainFile!).equals(copied)).toBe(false)
    expect(readFileSync(plainFile!).length).toBeGreaterThan(100_000)
  })
})
