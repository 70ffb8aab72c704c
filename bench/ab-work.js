#!/usr/bin/env node
// bench/ab-work: two (or more) builds of rigor on the same work-loop workload,
// alternated round by round on fresh workspaces, so that a noisy machine's
// drift falls on both. Usage:
//   node bench/ab-work.js <checkout A> <checkout B> [...]   (each built: npm run build)
// env BENCH_ROUNDS (3), BENCH_KIND (instant: `true`; sleep: 0.2 s and a verdict),
// BENCH_NODES (300 instant, 200 sleep). Not in `npm run bench`: it compares builds.
import {spawnSync} from 'node:child_process'
import {join, resolve} from 'node:path'
import {ENV, fmt, median, seedNodes, tempWorkspace, time} from './lib.js'

const builds = process.argv.slice(2).map((dir) => resolve(dir))
if (builds.length < 2) {
  console.error('usage: node bench/ab-work.js <checkout A> <checkout B> [...]')
  process.exit(2)
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const KIND = process.env.BENCH_KIND ?? 'instant'
const NODES = Number(process.env.BENCH_NODES ?? (KIND === 'instant' ? 300 : 200))
const COMMAND = KIND === 'instant' ? ['true'] : ['sh', '-c', 'sleep 0.2; printf \'{"metrics":{"sharpe":1}}\' > "$RIGOR_OUT/verdict.json"']

const seconds = new Map(builds.map((build) => [build, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const build of builds) {
    const ws = tempWorkspace()
    try {
      seedNodes(ws.dir, NODES, COMMAND)
      const run = () => spawnSync(process.execPath, [join(build, 'bin', 'run.js'), 'work', '--parallel', '4'], {cwd: ws.dir, env: ENV})
      seconds.get(build).push(time(run).seconds)
    } finally {
      ws.cleanup()
    }
  }
}
console.log(`ab-work: ${NODES} ${KIND} nodes, work --parallel 4, ${ROUNDS} alternating rounds`)
for (const [build, runs] of seconds) console.log(`${build}: median ${fmt(median(runs))} s (${runs.map((s) => fmt(s)).join(', ')})`)
