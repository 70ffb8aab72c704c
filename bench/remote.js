#!/usr/bin/env node
// bench/remote: claims per second and the share of lost races with 1, 2, 4 and 8
// clones pushing to one bare remote, as a ratio to the same number of raw
// `git push` compare-and-swap loops (fetch, commit-tree, push) measured in the
// same run against the same remote. Target: ratio >= 0.5. Rigor runs twice:
// a push per claim (--prefetch 1, as before issue 16) and the contention-driven
// batch (the default); afterwards every node's claims are counted on the remote:
// none may be claimed twice (the bench puts claims back between measurements).
import {execFileSync, spawn} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ENV, fmt, seedNodes, tempWorkspace} from './lib.js'

const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'remote-driver.js')
const CLONES = (process.env.BENCH_CLONES ?? '1,8,32').split(',').map(Number)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const NODES = Number(process.env.BENCH_NODES ?? 2000)

const git = (cwd, ...args) => execFileSync('git', args, {cwd, env: ENV, encoding: 'utf8'})

function driver(mode, dir, worker, prefetch) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, mode, dir, String(SECONDS), worker], {env: {...ENV, BENCH_PREFETCH: prefetch}})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => process.stderr.write(d))
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`driver ${mode} exited ${code}`))))
  })
}

async function measure(mode, clones, prefetch = 'auto') {
  const results = await Promise.all(clones.map((dir, i) => driver(mode, dir, `${mode}-${prefetch}-${clones.length}-${i}`, prefetch)))
  const wall = Math.max(...results.map((r) => r.seconds))
  const done = results.reduce((a, r) => a + r.done, 0)
  const conflicts = results.reduce((a, r) => a + r.conflicts, 0)
  return {perSecond: done / wall, lostShare: conflicts / Math.max(1, done + conflicts)}
}

const origin = tempWorkspace()
try {
  seedNodes(origin.dir, NODES, ['sh', '-c', 'true'])
  const bare = join(origin.dir, '..', `${origin.dir.split('/').pop()}-remote.git`)
  git(origin.dir, 'clone', '-q', '--bare', origin.dir, bare)
  const clones = Array.from({length: Math.max(...CLONES)}, (_, i) => {
    const dir = `${bare}-clone${i}`
    git(origin.dir, 'clone', '-q', bare, dir)
    return dir
  })
  console.log(`remote: ${SECONDS} s per measurement, ${NODES} nodes; raw = fetch + commit-tree + push loop per clone`)
  for (const n of CLONES) {
    const raw = await measure('raw', clones.slice(0, n))
    const single = await measure('rigor', clones.slice(0, n), '1')
    const batched = await measure('rigor', clones.slice(0, n), 'auto')
    console.log(
      `${n} clone(s): rigor, a push per claim ${fmt(single.perSecond, 1)} claims/s (${fmt(single.lostShare * 100, 0)}% lost); ` +
        `batched ${fmt(batched.perSecond, 1)} claims/s (${fmt(batched.lostShare * 100, 0)}% lost), ${fmt(batched.perSecond / single.perSecond)}x; ` +
        `raw push CAS ${fmt(raw.perSecond, 1)}/s (${fmt(raw.lostShare * 100, 0)}% lost), batched/raw ${fmt(batched.perSecond / raw.perSecond)}`,
    )
  }
  // no node was ever held by two workers at once: per node, claims and releases alternate, starting with a claim
  const held = new Map()
  let doubles = 0
  const log = git(bare, 'log', '--reverse', '--format=%B%x00', 'main')
  for (const message of log.split('\0')) {
    const action = /^Rigor-Action: (\S+)$/m.exec(message)?.[1]
    if (action !== 'claim' && action !== 'release') continue
    for (const m of message.matchAll(/^Rigor-Node: (.+)$/gm)) {
      if (action === 'claim' && held.get(m[1])) doubles++
      held.set(m[1], action === 'claim')
    }
  }
  console.log(`double claims on the remote: ${doubles}`)
  execFileSync('rm', ['-rf', bare, ...clones])
} finally {
  origin.cleanup()
}
