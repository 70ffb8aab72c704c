#!/usr/bin/env node
// bench/claims: claims per second with 1 and 4 processes on workspaces of 1,000
// and 10,000 nodes, as a ratio to a raw `git update-ref` compare-and-swap loop
// (commit-tree + update-ref per step) measured in the same run on the same
// repository with the same number of processes. Targets (issue 16): >= 200 claims/s at
// 1,000 nodes and >= 100/s at 10,000 from one long-lived process; ratio >= 0.5.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ENV, fmt, rigor, seedNodes, tempWorkspace} from './lib.js'

const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'claims-driver.js')
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number)
const PROCS = (process.env.BENCH_PROCS ?? '1,4').split(',').map(Number)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

function driver(mode, dir, worker) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, mode, dir, String(SECONDS), worker], {env: ENV})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => process.stderr.write(d))
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`driver ${mode} exited ${code}`))))
  })
}

async function measureMinimal(dir, size) {
  const copy = mkdtempSync(join(dirname(dir), 'rigor-bench-minimal-'))
  try {
    execFileSync('git', ['clone', '-q', '--bare', dir, join(copy, 'repo.git')], {env: ENV})
    const result = await driver('minimal', join(copy, 'repo.git'), String(size))
    return result.done / result.seconds
  } finally {
    rmSync(copy, {recursive: true, force: true})
  }
}

async function measure(mode, dir, procs) {
  const started = Date.now()
  const results = await Promise.all(Array.from({length: procs}, (_, i) => driver(mode, dir, `${mode}-${i}`)))
  const wall = Math.max(...results.map((r) => r.seconds))
  const done = results.reduce((a, r) => a + r.done, 0)
  const conflicts = results.reduce((a, r) => a + r.conflicts, 0)
  return {perSecond: done / wall, done, conflicts, wall: (Date.now() - started) / 1000}
}

console.log(`claims: ${SECONDS} s per measurement; raw = commit-tree + update-ref CAS loop on the same repository`)
for (const size of SIZES) {
  for (const procs of PROCS) {
    // a workspace of its own per measurement: a fast run claims every node of the one before
    const ws = tempWorkspace()
    try {
      const seedStart = Date.now()
      seedNodes(ws.dir, size, ['sh', '-c', 'true'])
      console.log(`workspace of ${size} nodes seeded in ${fmt((Date.now() - seedStart) / 1000)} s`)
      // the state cache warm, as a long-lived worker has it after its first claim: the bench measures claims, not one cold parse
      rigor(ws.dir, ['status'])
      const raw = await measure('raw', ws.dir, procs)
      const ours = await measure('rigor', ws.dir, procs)
      // the reference on a copy of the workspace's repository: it moves the branch to trees of its own
      const minimal = procs === 1 ? await measureMinimal(ws.dir, size) : undefined
      console.log(
        `${size} nodes, ${procs} process(es): rigor ${fmt(ours.perSecond, 1)} claims/s (${ours.conflicts} lost races), raw CAS ${fmt(raw.perSecond, 1)}/s (${raw.conflicts} lost), ratio ${fmt(ours.perSecond / raw.perSecond)}${minimal ? `; minimal writer ${fmt(minimal, 1)}/s, rigor/minimal ${fmt(ours.perSecond / minimal)}` : ''}`,
      )
    } finally {
      ws.cleanup()
    }
  }
}
