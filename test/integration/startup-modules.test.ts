import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace} from './helpers.js'

const PRELOAD = resolve(__dirname, '../fixtures/loaded-packages.cjs')

describe('what a command loads at start-up', () => {
  let repo: TempRepo | undefined
  let scratch: string | undefined
  afterEach(() => {
    repo?.cleanup()
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  })

  it('never the typescript package, whatever NODE_ENV says (oclif reads a tsconfig with it in test and development)', () => {
    repo = workspace()
    scratch = mkdtempSync(join(tmpdir(), 'rigor-loaded-'))
    for (const nodeEnv of ['test', 'development', 'production']) {
      const file = join(scratch, nodeEnv)
      const result = rigor(repo.dir, ['status', '--json'], {
        NODE_ENV: nodeEnv,
        NODE_OPTIONS: `--require ${PRELOAD}`,
        LOADED_PACKAGES_FILE: file,
      })
      expect(result.code, result.stderr).toBe(0)
      // the bundle holds rigor's own dependencies: status reads nothing from node_modules (it read typescript)
      expect(readFileSync(file, 'utf8').split('\n').filter(Boolean), nodeEnv).toEqual([])
    }
  })
})
