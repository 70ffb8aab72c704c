#!/usr/bin/env node
// bench/sealed-data: what sealing the holdout of every declared data file costs a
// sandboxed run (src/core/dag/sealed-data.ts). A workspace with BENCH_FILES data
// files in one directory and twice BENCH_RUNS nodes whose command is `true`, each
// declaring one of the files (every file declared); rigor runs BENCH_RUNS of them
// under `rigor work` (one slot) after a first batch of as many that made every cut,
// with `holdout:` in rigor.yaml and without it, in turn; prints the time a run and
// the ratio. Needs `npm run build`.
import {execFileSync, spawnSync} from 'node:child_process'
import {appendFileSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {BIN, ENV, fmt, median, rigor, tempWorkspace} from './lib.js'

const FILES = Number(process.env.BENCH_FILES ?? 200)
const RUNS = Number(process.env.BENCH_RUNS ?? 40)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const day = (t) => new Date(Date.UTC(2010, 0, 4) + t * 86_400_000).toISOString().slice(0, 10)
const csv = `date,close\n${Array.from({length: 300}, (_, t) => `${day(t)},${100 + t}`).join('\n')}\n`

/** ms a run of RUNS instant nodes, with the holdout sealed or not */
function perRun(sealed) {
  const ws = tempWorkspace()
  try {
    mkdirSync(join(ws.dir, 'data'))
    for (let i = 0; i < FILES; i++) writeFileSync(join(ws.dir, 'data', `asset${i}.csv`), csv)
    if (sealed) appendFileSync(join(ws.dir, 'rigor.yaml'), 'holdout: {fraction: 0.2}\n')
    execFileSync('git', ['add', '.'], {cwd: ws.dir, env: ENV})
    execFileSync('git', ['commit', '-qm', 'data'], {cwd: ws.dir, env: ENV})
    const nodes = Array.from({length: FILES}, (_, i) => ({
      id: `assets/n${i}`,
      team: 'default',
      run: {command: ['true']},
      data: `data/asset${i}.csv`,
    }))
    writeFileSync(join(ws.dir, 'spec.yaml'), stringify({nodes}))
    rigor(ws.dir, ['seed', 'spec.yaml'])
    const work = () => spawnSync(process.execPath, [BIN, 'work', '--max-nodes', String(RUNS)], {cwd: ws.dir, env: ENV, encoding: 'utf8'})
    // the first batch makes every cut (and the directory's view) once
    work()
    const start = performance.now()
    const result = work()
    if (result.status !== 0) throw new Error(`rigor work failed: ${result.stderr}`)
    return (performance.now() - start) / RUNS
  } finally {
    ws.cleanup()
  }
}

const open = []
const sealed = []
for (let round = 0; round < ROUNDS; round++) {
  open.push(perRun(false))
  sealed.push(perRun(true))
}
const [o, s] = [median(open), median(sealed)]
console.log(
  `sealed-data: ${FILES} declared data files in one directory, ${RUNS} instant sandboxed runs: ${fmt(o, 1)} ms a run without a holdout, ${fmt(s, 1)} ms with every file sealed (${s >= o ? '+' : ''}${fmt(s - o, 1)} ms, ${fmt(s / o)}x; medians of ${ROUNDS})`,
)
