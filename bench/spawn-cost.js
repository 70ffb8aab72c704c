#!/usr/bin/env node
// bench/spawn-cost: what starting a child process costs a Node process, by its
// size. Node (libuv) forks before it executes, and a fork copies the parent's
// page tables, so every runner and git process a long-lived `rigor work` starts
// costs more the more memory it holds. Measured here: 100 spawns of `true` from
// this process as it starts, then again once it holds a few hundred MB.
import {spawn} from 'node:child_process'
import {fmt} from './lib.js'

const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 100)

async function perSpawnMs() {
  const start = performance.now()
  for (let i = 0; i < SPAWNS; i++) await new Promise((resolve) => spawn('true', [], {stdio: 'ignore'}).on('close', resolve))
  return (performance.now() - start) / SPAWNS
}

const small = await perSpawnMs()
const smallRss = process.memoryUsage().rss / 1e6
const ballast = Array.from({length: 2_000_000}, (_, i) => ({i, s: `x${i}`}))
const large = await perSpawnMs()
const largeRss = process.memoryUsage().rss / 1e6
console.log(
  `spawn of \`true\`: ${fmt(small)} ms at ${fmt(smallRss, 0)} MB resident, ${fmt(large)} ms at ${fmt(largeRss, 0)} MB (ratio ${fmt(large / small)}; ${ballast.length} objects held)`,
)
