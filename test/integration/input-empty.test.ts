import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

// an unset shell variable gives an empty word: `rigor init "$DIR"` set up the current folder, `--remote "$REMOTE"`
// quietly worked locally, `rank --metric "$M"` ranked by the default metric and committed it

let repo: TempRepo | undefined
let plain: string | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
  if (plain) rmSync(plain, {recursive: true, force: true})
  plain = undefined
})

const errorOf = (result: {stdout: string}) => json<{error: {message: string; fix: string; exit: number}}>(result).error

describe('an empty value on the command line', () => {
  it('is exit 2 naming the flag or the argument, before anything is done', () => {
    plain = mkdtempSync(join(tmpdir(), 'rigor-empty-'))
    const init = rigor(plain, ['init', '', '--json'])
    expect(init.code).toBe(2)
    expect(errorOf(init).message).toBe('field "arguments": an argument is empty')
    expect(readdirSync(plain)).toEqual([])

    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('e/one')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const before = repo.git('rev-parse', 'main')
    for (const [args, field] of [
      [['status', '--remote', ''], '--remote'],
      [['rank', '--metric='], '--metric'],
      [['work', '-p', ''], '--parallel'],
      [['seed', ''], 'arguments'],
      [['show', '', '--cwd', repo.dir], 'arguments'],
    ] as const) {
      const result = rigor(repo.dir, [...args, '--json'])
      expect(result.code, args.join(' ')).toBe(2)
      const error = errorOf(result)
      expect(error.message, args.join(' ')).toContain(`field "${field}"`)
      expect(error.fix).toContain('unset shell variable')
    }
    expect(repo.git('rev-parse', 'main')).toBe(before)
    expect(existsSync(join(repo.dir, 'rigor.yaml'))).toBe(true)
  })

  it('after a switch (a flag that takes no value), an empty word is an argument', () => {
    repo = workspace()
    const result = rigor(repo.dir, ['verify', '--signatures', '', '--json'])
    expect(result.code).toBe(2)
    expect(errorOf(result).message).toContain('field "arguments"')
  })
})
