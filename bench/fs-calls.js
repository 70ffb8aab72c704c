#!/usr/bin/env node
// bench/fs-calls: a run directory's life (mkdir, a small file, rm) with
// synchronous calls against the same through fs.promises, on this machine, in
// the same run. Why the work loop makes, reads and removes run directories
// synchronously (docs/benchmarks.md, "Issue 16, eighth pass"). env BENCH_ROUNDS
// (2000 directories each way), TMPDIR (where).
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fmt} from './lib.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000)
const base = mkdtempSync(join(tmpdir(), 'rigor-bench-fs-'))

function measure(label, run) {
  const cpu = process.cpuUsage()
  const start = performance.now()
  return run().then(() => {
    const used = process.cpuUsage(cpu)
    const ms = (performance.now() - start) / ROUNDS
    console.log(`${label}: ${fmt(ms, 3)} ms a directory, ${fmt((used.user + used.system) / 1000 / ROUNDS, 3)} ms CPU`)
    return ms
  })
}

try {
  const sync = await measure('sync', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      mkdirSync(join(base, `s${i}`, 'out'), {recursive: true})
      writeFileSync(join(base, `s${i}`, 'record'), 'x')
      rmSync(join(base, `s${i}`), {recursive: true, force: true})
    }
  })
  const promises = await measure('fs.promises', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      await mkdir(join(base, `p${i}`, 'out'), {recursive: true})
      await writeFile(join(base, `p${i}`, 'record'), 'x')
      await rm(join(base, `p${i}`), {recursive: true, force: true})
    }
  })
  console.log(`fs.promises / sync: ${fmt(promises / sync)}`)
} finally {
  rmSync(base, {recursive: true, force: true})
}
