#!/usr/bin/env node
// bench/audit-cuts: what the truncation check's cuts of every declared data file
// cost an audit (src/core/auditor/other-data.ts). A workspace with BENCH_FILES
// data files of 1,000 rows in one directory, each declared by a node; one node
// runs a small Node runner and is audited (every check, 3 truncation re-runs
// that each show every other file cut at their date), against the same audit in
// a workspace where its file is the only one. Needs `npm run build`.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {BIN, ENV, fmt, median, rigor, tempWorkspace} from './lib.js'
const FILES = Number(process.env.BENCH_FILES ?? 200)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const day = (t) => new Date(Date.UTC(2010, 0, 4) + t * 86_400_000).toISOString().slice(0, 10)
const csv = (s) =>
  `date,close\n${Array.from({length: 1000}, (_, t) => `${day(t)},${(100 + t + Math.sin(t * s) * 5).toFixed(4)}`).join('\n')}\n`
const RUNNER = `const fs=require('fs');const l=fs.readFileSync(process.env.RIGOR_DATA,'utf8').trim().split('\\n').slice(1).map(r=>r.split(','));const o=process.env.RIGOR_OUT;
fs.writeFileSync(o+'/positions.csv','date,position\\n'+l.map(r=>r[0]+',1').join('\\n')+'\\n');
fs.writeFileSync(o+'/returns.csv','date,return\\n'+l.slice(1).map((r,i)=>r[0]+','+(r[1]/l[i][1]-1)).join('\\n')+'\\n');
fs.writeFileSync(o+'/verdict.json',JSON.stringify({metrics:{sharpe:1},artifacts:['returns.csv','positions.csv'],accounting:{convention:'close_to_close',price:'close',cost_bps:0}}))`
function once(files) {
  const ws = tempWorkspace()
  try {
    mkdirSync(join(ws.dir, 'data'))
    for (let i = 0; i < files; i++) writeFileSync(join(ws.dir, 'data', `asset${i}.csv`), csv(i + 1))
    writeFileSync(join(ws.dir, 'r.js'), RUNNER)
    execFileSync('git', ['add', '.'], {cwd: ws.dir, env: ENV})
    execFileSync('git', ['commit', '-qm', 'data'], {cwd: ws.dir, env: ENV})
    const nodes = Array.from({length: files}, (_, i) => ({
      id: `assets/n${i}`,
      team: 'default',
      run: {command: i === 0 ? ['node', 'r.js'] : ['true']},
      data: `data/asset${i}.csv`,
    }))
    writeFileSync(join(ws.dir, 'spec.yaml'), stringify({nodes}))
    rigor(ws.dir, ['seed', 'spec.yaml'])
    spawnSync(process.execPath, [BIN, 'run', 'assets/n0'], {cwd: ws.dir, env: ENV})
    const start = performance.now()
    const r = spawnSync(process.execPath, [BIN, 'audit', 'assets/n0', '--auditor', 'risk', '--json'], {
      cwd: ws.dir,
      env: ENV,
      encoding: 'utf8',
    })
    const ms = performance.now() - start
    if (!r.stdout.includes('lookahead.truncation')) throw new Error(r.stderr + r.stdout)
    return ms
  } finally {
    ws.cleanup()
  }
}
const a = [],
  b = []
for (let i = 0; i < ROUNDS; i++) {
  a.push(once(1))
  b.push(once(FILES))
}
const [one, many] = [median(a), median(b)]
console.log(
  `audit-cuts: one audit of a sandboxed process runner (1,000 rows): ${fmt(one / 1000)} s with its own data file the only one declared, ${fmt(many / 1000)} s with ${FILES} declared (${fmt(many / one)}x, +${fmt((many - one) / 1000)} s; medians of ${ROUNDS})`,
)
