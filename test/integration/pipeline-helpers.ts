import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {expect} from 'vitest'
import {type CliResult, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

/** A workspace made by `rigor init --template pipeline`. */
export function pipelineWorkspace(): TempRepo {
  const made = gitRepo()
  const init = rigor(made.dir, ['init', '--template', 'pipeline'])
  expect(init.code, init.stderr).toBe(0)
  expect(init.stdout).toContain('templates/pipeline.seed.yaml')
  return made
}

/** `rigor <args>` in `dir`, which must exit 0. */
export function ok(dir: string, args: string[]): CliResult {
  const result = rigor(dir, args)
  expect(result.code, `rigor ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

/** A file's committed bytes on main, exactly (the repo helper's git() trims its output). */
export const committed = (dir: string, path: string): Buffer => execFileSync('git', ['show', `main:${path}`], {cwd: dir})
