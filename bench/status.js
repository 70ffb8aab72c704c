#!/usr/bin/env node
// bench/status: `rigor status` on a workspace of 10,000 nodes, against reading the
// same node files with one `git cat-file --batch` in the same run.
// Target: ratio at most 3 (with a warm cache: the second and later runs).
import {execFileSync, spawnSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {BIN, ENV, fmt, median, seedNodes, tempWorkspace, time} from './lib.js'

const NODES = Number(process.env.BENCH_NODES ?? 10000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const ws = tempWorkspace()
try {
  const seeded = time(() => seedNodes(ws.dir, NODES, ['sh', '-c', 'true']))
  console.log(`${NODES} nodes seeded in ${fmt(seeded.seconds)} s`)
  // the baseline lists the node files' blob ids and reads them all through one cat-file process
  const listBlobs = () =>
    execFileSync('git', ['ls-tree', '-r', 'HEAD', 'experiments'], {cwd: ws.dir, encoding: 'utf8', maxBuffer: 1 << 28})
      .split('\n')
      .filter((line) => line.endsWith('/node.yaml'))
      .map((line) => line.split(/\s+/)[2])
  const paths = listBlobs()
  const catFile = () =>
    time(() => spawnSync('git', ['cat-file', '--batch'], {cwd: ws.dir, input: listBlobs().join('\n') + '\n', maxBuffer: 1 << 30, env: ENV}))
      .seconds
  const status = () =>
    time(() => spawnSync(process.execPath, [BIN, 'status', '--json'], {cwd: ws.dir, env: ENV, maxBuffer: 1 << 28})).seconds

  rmSync(join(ws.dir, '.git', 'rigor', 'cache'), {recursive: true, force: true})
  const cold = status()
  const warm = []
  const baseline = []
  for (let i = 0; i < ROUNDS; i++) {
    baseline.push(catFile())
    warm.push(status())
  }
  const b = median(baseline)
  const w = median(warm)
  console.log(`git ls-tree -r + git cat-file --batch of ${paths.length} node files: ${fmt(b, 3)} s (median of ${ROUNDS})`)
  console.log(
    `rigor status --json: cold cache ${fmt(cold, 3)} s (ratio ${fmt(cold / b)}), warm ${fmt(w, 3)} s (ratio ${fmt(w / b)}; target <= 3)`,
  )
} finally {
  ws.cleanup()
}
