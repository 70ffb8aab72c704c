#!/usr/bin/env node
// One benchmark process: claims nodes in a loop for a fixed time (mode "rigor"),
// runs the raw baseline: a compare-and-swap loop of `git commit-tree` +
// `git update-ref <ref> <new> <old>` on the same repository (mode "raw"), or the
// reference of a minimal long-lived writer (mode "minimal", bench/minimal-writer.js;
// the last argument is then the number of sibling node directories).
// Prints {"done": n, "conflicts": c, "seconds": s} as JSON.
import {execFileSync} from 'node:child_process'
import {claimNextNode} from '../dist/core/dag/claims.js'
import {policies} from '../dist/core/flows/policies.js'
import {Workspace} from '../dist/core/state/workspace.js'
import {minimalWriter} from './minimal-writer.js'

const [mode, dir, secondsText, worker] = process.argv.slice(2)
const seconds = Number(secondsText)
let deadline = Date.now() + seconds * 1000
let done = 0
let conflicts = 0
let start = Date.now()

if (mode === 'rigor') {
  const ws = await Workspace.open(dir)
  // a long-lived process: the clock starts once the workspace is open and its state read
  await ws.currentSnapshot()
  start = Date.now()
  deadline = start + seconds * 1000
  ws.syncDelayMs = 60_000 // the benchmark measures claims; the working tree is synced once at the end
  while (Date.now() < deadline) {
    const result = await claimNextNode(ws, {worker, admission: policies.admission})
    if (!result.claimed) break
    done++
    conflicts += result.conflicts
  }
  const elapsed = (Date.now() - start) / 1000
  await ws.close()
  console.log(JSON.stringify({done, conflicts, seconds: elapsed}))
} else if (mode === 'minimal') {
  // the reference: what a long-lived process writing its own objects reaches (bench/minimal-writer.js)
  console.log(JSON.stringify(await minimalWriter(dir, seconds, Number(worker))))
} else {
  const git = (...args) => execFileSync('git', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  while (Date.now() < deadline) {
    const tip = git('rev-parse', 'refs/heads/main')
    const commit = git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', `raw ${worker} ${done}`)
    try {
      git('update-ref', 'refs/heads/main', commit, tip)
      done++
    } catch {
      conflicts++
    }
  }
  console.log(JSON.stringify({done, conflicts, seconds: (Date.now() - start) / 1000}))
}
