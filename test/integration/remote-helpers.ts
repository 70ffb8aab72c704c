import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'vitest'
import {rigor} from '../helpers/cli.js'
import {GIT_ENV} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {cwd, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'}).trim()

/** A bare remote holding a seeded workspace, and `n` clones of it, all under `root` (the caller removes it). */
export function remoteWithClones(n: number, spec: unknown, config?: string): {root: string; bare: string; clones: string[]} {
  const origin = workspace()
  const root = mkdtempSync(join(tmpdir(), 'rigor-remote-'))
  if (config) {
    execFileSync('sh', ['-c', `cat > rigor.yaml <<'EOF'\n${config}\nEOF`], {cwd: origin.dir})
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

/** How many commits of the remote's main carry `Rigor-Action: <action>`, per node (every node of a claim commit). */
export function countActions(bare: string, action: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of git(bare, 'log', '--format=%B%x00', 'main').split('\0')) {
    if (!new RegExp(`^Rigor-Action: ${action}$`, 'm').test(message)) continue
    // a claim commit may claim several nodes (--prefetch); a verdict's further nodes are the ones it spawned
    const nodes = [...message.matchAll(/^Rigor-Node: (.+)$/gm)].map((m) => m[1]!)
    for (const node of action === 'claim' ? nodes : nodes.slice(0, 1)) counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}

export const removeRoot = (root: string | undefined) => root && rmSync(root, {recursive: true, force: true})
