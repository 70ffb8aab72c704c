import {chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execFileSync} from 'node:child_process'
import {afterAll, describe, expect, it} from 'vitest'
import {rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {pidsInDir, SLOW} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

/**
 * rigor keeps `git cat-file --batch` and `git update-ref --stdin` running while
 * it works. A command must wait for them to exit before it does: otherwise
 * they outlive it, holding the repository. A git that takes half a second to
 * exit once its input ends makes a command that does not wait leave them
 * behind every time, not only when the machine happens to be slow.
 */
const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim()
const slowGitDir = mkdtempSync(join(tmpdir(), 'rigor-slow-git-'))
writeFileSync(
  join(slowGitDir, 'git'),
  `#!/bin/sh
case "$1" in
  cat-file|update-ref) "${realGit}" "$@"; code=$?; sleep 0.5; exit $code ;;
esac
exec "${realGit}" "$@"
`,
)
chmodSync(join(slowGitDir, 'git'), 0o755)
const SLOW_EXIT = {PATH: `${slowGitDir}:${process.env.PATH}`}
afterAll(() => rmSync(slowGitDir, {recursive: true, force: true}))

describe('no child process outlives a command', {timeout: SLOW}, () => {
  let repo: TempRepo | undefined
  afterAll(() => repo?.cleanup())

  it('status, seed, show, claim and log leave no git process running in the workspace when they exit', () => {
    repo = workspace()
    const dir = realpathSync(repo.dir)
    writeSpec(dir, {nodes: [{id: 'p/a', team: 'default', run: {command: ['true']}}]})
    for (const args of [['status'], ['seed', 'spec.yaml'], ['show', 'p/a'], ['claim', '--worker', 'w1'], ['status', '--json'], ['log']]) {
      const result = rigor(dir, args, SLOW_EXIT)
      expect(result.code, `rigor ${args.join(' ')}: ${result.stderr}`).toBe(0)
      expect(pidsInDir(dir), `left running by rigor ${args.join(' ')}`).toEqual([])
    }
  })
})
