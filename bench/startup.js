#!/usr/bin/env node
// Start-up: `rigor --version` and `rigor status` (a 2-node workspace) against a
// bare `node -e 0`, run in turn (A B A B ...) so each ratio pairs runs made
// under the same load. Targets: --version <= 1.6x, status <= 2.5x.
import {spawnSync} from 'node:child_process'
import {BIN, ENV, fmt, median, rigor, seedNodes, tempWorkspace} from './lib.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const ws = tempWorkspace()
try {
  seedNodes(ws.dir, 2, ['true'])
  rigor(ws.dir, ['status'])
  const wall = (args) => {
    const start = process.hrtime.bigint()
    const r = spawnSync(process.execPath, args, {cwd: ws.dir, env: ENV, stdio: 'ignore'})
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`)
    return Number(process.hrtime.bigint() - start) / 1e9
  }
  const cases = {'rigor --version': [BIN, '--version'], 'rigor status': [BIN, 'status']}
  console.log('| command | node -e 0 (median) | command (median) | median of paired ratios | target |')
  console.log('|---|---|---|---|---|')
  for (const [name, args] of Object.entries(cases)) {
    const base = []
    const cmd = []
    const ratios = []
    wall(args)
    for (let i = 0; i < ROUNDS; i++) {
      const b = wall(['-e', '0'])
      const a = wall(args)
      base.push(b)
      cmd.push(a)
      ratios.push(a / b)
    }
    const target = name.includes('version') ? '<= 1.6' : '<= 2.5'
    console.log(`| ${name} | ${fmt(median(base), 3)} s | ${fmt(median(cmd), 3)} s | ${fmt(median(ratios))} | ${target} |`)
  }
} finally {
  ws.cleanup()
}
