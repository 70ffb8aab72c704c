#!/usr/bin/env node
// One clone's benchmark process: claims through the remote for a fixed time
// (mode "rigor"), or the raw baseline: a loop of empty commits pushed to the
// remote as a compare-and-swap (fetch, commit-tree on the fetched tip, push;
// a rejected push is a lost race). Prints {"done", "conflicts", "seconds"}.
// Mode "rigor" claims through a ClaimBuffer: env BENCH_PREFETCH is the batch
// size (1: a push per claim), "auto" (the default) the contention-driven one.
import {execFileSync} from 'node:child_process'
import {HeldClaims} from '../dist/core/dag/claims.js'
import {ClaimBuffer} from '../dist/core/dag/prefetch.js'
import {policies} from '../dist/core/flows/policies.js'
import {Workspace} from '../dist/core/state/workspace.js'

const [mode, dir, secondsText, worker] = process.argv.slice(2)
let deadline = Date.now() + Number(secondsText) * 1000
let start = Date.now()
let done = 0
let conflicts = 0

if (mode === 'rigor') {
  const ws = await Workspace.open(dir, {remote: 'origin'})
  ws.syncDelayMs = 60_000
  // the clock starts once the workspace is open: many processes starting on 2 cores is not what is measured
  start = Date.now()
  deadline = start + Number(secondsText) * 1000
  const prefetch = process.env.BENCH_PREFETCH && process.env.BENCH_PREFETCH !== 'auto' ? Number(process.env.BENCH_PREFETCH) : undefined
  const claims = new ClaimBuffer(ws, {worker, admission: policies.admission}, new HeldClaims(), prefetch)
  while (Date.now() < deadline) {
    const result = await claims.next()
    if (!result.claimed) break
    done++
    conflicts += result.conflicts
  }
  const seconds = (Date.now() - start) / 1000
  await claims.releaseUnstarted()
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
