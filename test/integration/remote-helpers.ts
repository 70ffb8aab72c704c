import {execFileSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
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

/**
 * A pre-receive hook on `bare` that holds every push until `release()`: `arrived` is a file the hook writes as a
 * push reaches the remote, so a test can act while the pushing process waits on it.
 */
export function holdPushes(root: string, bare: string): {arrived: string; release: () => void} {
  const arrived = join(root, 'arrived')
  const gate = join(root, 'gate')
  const hook = join(bare, 'hooks', 'pre-receive')
  writeFileSync(hook, `#!/bin/sh\ntouch '${arrived}'\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\n`)
  chmodSync(hook, 0o755)
  return {arrived, release: () => writeFileSync(gate, '')}
}
