#!/usr/bin/env node
// bench/remote-work: `rigor work --remote origin --parallel 4` in one clone on
// instant nodes (their command is `true`), through a bare remote that logs every
// move of its branch. Prints the wall time, the commits rigor made and how many
// pushes moved the branch: claims and verdicts queued while a push is on its way
// land together (a commit each, one push), so pushes < commits when batching works.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ENV, fmt, rigor, seedNodes, tempWorkspace, time} from './lib.js'

const NODES = Number(process.env.BENCH_NODES ?? 100)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const git = (cwd, ...args) => execFileSync('git', args, {cwd, env: ENV, encoding: 'utf8'}).trim()

for (let round = 0; round < ROUNDS; round++) {
  const ws = tempWorkspace()
  const remote = mkdtempSync(join(tmpdir(), 'rigor-bench-remote-'))
  try {
    seedNodes(ws.dir, NODES, ['true'])
    git(remote, 'init', '-q', '--bare')
    git(remote, 'config', 'core.logAllRefUpdates', 'always')
    git(ws.dir, 'remote', 'add', 'origin', remote)
    git(ws.dir, 'push', '-q', 'origin', 'main')
    const before = Number(git(remote, 'rev-list', '--count', 'main'))
    const seconds = time(() => rigor(ws.dir, ['work', '--remote', 'origin', '--parallel', '4'])).seconds
    const commits = Number(git(remote, 'rev-list', '--count', 'main')) - before
    const pushes = git(remote, 'reflog', 'show', '--format=%H', 'main').split('\n').length - 1
    console.log(
      `round ${round + 1}: ${NODES} instant nodes through a bare remote in ${fmt(seconds)} s: ${commits} commits in ${pushes} pushes (${fmt(commits / pushes)} commits a push)`,
    )
  } finally {
    ws.cleanup()
    rmSync(remote, {recursive: true, force: true})
  }
}
