#!/usr/bin/env node
// bench/overhead: 200 nodes whose runner sleeps 0.2 s, `rigor work --parallel 4`,
// against `xargs -P 4` running the same 200 commands, in the same run.
// Target: wall-clock ratio at most 1.10. rigor runs them as it does by default
// (in the bubblewrap sandbox where there is one); a second rigor run with
// `runner.sandbox: "off"` shows the sandbox's share (xargs has none).
import {execFileSync, spawnSync} from 'node:child_process'
import {appendFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ENV, fmt, rigor, seedNodes, tempWorkspace, time} from './lib.js'

const NODES = Number(process.env.BENCH_NODES ?? 200)
const PARALLEL = 4
const SCRIPT = 'sleep 0.2; printf \'{"metrics":{"sharpe":1}}\' > "$RIGOR_OUT/verdict.json"'

function baseline() {
  const outRoot = mkdtempSync(join(tmpdir(), 'rigor-xargs-'))
  const lines = Array.from({length: NODES}, (_, i) => join(outRoot, `n${i}`)).join('\n')
  const script = `mkdir -p "$1" && RIGOR_OUT="$1" sh -c '${SCRIPT.replace(/'/g, `'"'"'`)}'`
  const t = time(() => spawnSync('xargs', ['-P', String(PARALLEL), '-I{}', 'sh', '-c', script, 'sh', '{}'], {input: lines}))
  rmSync(outRoot, {recursive: true, force: true})
  return t.seconds
}

function rigorRun(sandbox) {
  const ws = tempWorkspace()
  try {
    if (!sandbox) {
      appendFileSync(join(ws.dir, 'rigor.yaml'), 'runner:\n  sandbox: "off"\n')
      execFileSync('git', ['commit', '-qam', 'sandbox off'], {cwd: ws.dir, env: ENV})
    }
    seedNodes(ws.dir, NODES, ['sh', '-c', SCRIPT])
    const t = time(() => rigor(ws.dir, ['work', '--parallel', String(PARALLEL)]))
    return t.seconds
  } finally {
    ws.cleanup()
  }
}

const rows = []
for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 2); round++) {
  const xargs = baseline()
  const ours = rigorRun(true)
  const bare = rigorRun(false)
  rows.push({xargs, ours, ratio: ours / xargs})
  console.log(
    `round ${round + 1}: xargs -P ${PARALLEL} ${fmt(xargs)} s, rigor work --parallel ${PARALLEL} ${fmt(ours)} s, ratio ${fmt(ours / xargs)}; without the sandbox ${fmt(bare)} s, ratio ${fmt(bare / xargs)}`,
  )
}
const best = rows.reduce((a, b) => (a.ratio < b.ratio ? a : b))
console.log(`overhead: ${NODES} nodes x 0.2 s, best ratio ${fmt(best.ratio)} (target <= 1.10)`)
