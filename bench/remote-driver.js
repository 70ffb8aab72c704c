#!/usr/bin/env node
// One clone's benchmark process: claims through the remote for a fixed time
// (mode "rigor"), or the raw baseline: a loop of empty commits pushed to the
// remote as a compare-and-swap (fetch, commit-tree on the fetched tip, push;
// a rejected push is a lost race). Prints {"done", "conflicts", "seconds"}.
import {execFileSync} from 'node:child_process'
import {claimNextNode} from '../dist/core/dag/claims.js'
import {policies} from '../dist/core/flows/policies.js'
import {Workspace} from '../dist/core/state/workspace.js'

const [mode, dir, secondsText, worker] = process.argv.slice(2)
const deadline = Date.now() + Number(secondsText) * 1000
const start = Date.now()
let done = 0
let conflicts = 0

if (mode === 'rigor') {
  const ws = await Workspace.open(dir, {remote: 'origin'})
  ws.syncDelayMs = 60_000
  while (Date.now() < deadline) {
    const result = await claimNextNode(ws, {worker, admission: policies.admission})
    if (!result.claimed) break
    done++
    conflicts += result.conflicts
  }
  const seconds = (Date.now() - start) / 1000
  await ws.close()
  console.log(JSON.stringify({done, conflicts, seconds}))
} else {
  const git = (...args) => execFileSync('git', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  while (Date.now() < deadline) {
    git('fetch', '--quiet', 'origin', '+refs/heads/main:refs/remotes/origin/main')
    const tip = git('rev-parse', 'refs/remotes/origin/main')
    const commit = git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', `raw ${worker} ${done}`)
    try {
      git('push', '--quiet', 'origin', `${commit}:refs/heads/main`)
      done++
    } catch {
      conflicts++
    }
  }
  console.log(JSON.stringify({done, conflicts, seconds: (Date.now() - start) / 1000}))
}
