import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'vitest'
import {rigor} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {actionsInLog, workspace, writeSpec} from './helpers.js'

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()

/**
 * A bare remote holding a seeded workspace, and `n` clones of it (clone0, clone1, ...), all under a new
 * directory `root` in `parent` (the caller removes it). `config` replaces the rigor.yaml that `rigor init`
 * wrote, or, as a function, is given that text and returns the new one; either way it is committed.
 */
export function remoteWithClones(
  n: number,
  spec: unknown,
  config?: string | ((initialised: string) => string),
  parent = tmpdir(),
): {root: string; bare: string; clones: string[]} {
  const origin = workspace()
  const root = mkdtempSync(join(parent, 'rigor-remote-'))
  if (config !== undefined) {
    const file = join(origin.dir, 'rigor.yaml')
    writeFileSync(file, typeof config === 'string' ? `${config}\n` : config(readFileSync(file, 'utf8')))
    origin.git('commit', '-qam', 'config')
  }
  writeSpec(origin.dir, spec)
  expect(rigor(origin.dir, ['seed', 'spec.yaml']).code).toBe(0)
  const bare = join(root, 'remote.git')
  git(root, 'clone', '-q', '--bare', origin.dir, bare)
  origin.cleanup()
  const clones = Array.from({length: n}, (_, i) => {
    const dir = join(root, `clone${i}`)
    git(root, 'clone', '-q', bare, dir)
    return dir
  })
  return {root, bare, clones}
}

/** Per node, how many commits of the remote's main carry `Rigor-Action: <action>` (see actionsInLog). */
export const countActions = (bare: string, action: string): Map<string, number> =>
  actionsInLog(git(bare, 'log', '--format=%B%x00', 'main'), action)

export const removeRoot = (root: string | undefined) => root && rmSync(root, {recursive: true, force: true})
