#!/usr/bin/env node
// Runs every benchmark in turn (npm run bench). Each prints its ratio against a
// baseline measured in the same run; docs/benchmarks.md records the results.
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
for (const bench of [
  'startup.js',
  'claims.js',
  'throughput.js',
  'overhead.js',
  'status.js',
  'remote.js',
  'remote-work.js',
  'spawn-cost.js',
  'sandbox-cost.js',
  'sealed-data.js',
  'audit-cuts.js',
  'fs-calls.js',
  'backtest.js',
  'site.js',
]) {
  if (only.length && !only.some((o) => bench.startsWith(o))) continue
  console.log(`\n## bench/${bench}`)
  const result = spawnSync(process.execPath, [join(here, bench)], {stdio: 'inherit'})
  if (result.status !== 0) process.exitCode = 1
}
