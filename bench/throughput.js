#!/usr/bin/env node
// bench/throughput: instant nodes (their command is `true`) under
// `rigor work --parallel 4`, against a loop that spawns `git commit-tree` +
// `git update-ref <ref> <new> <old>` for as many commits as rigor makes (a claim
// and a verdict per node), on a repository of the same size, in the same run.
// Target: rigor's commits per second >= 2x the loop's. rigor runs its runners as
// it does by default (in the bubblewrap sandbox where there is one, kept per
// slot); a second rigor run with a sandbox a run (`RIGOR_KEPT_SANDBOX=off`, as
// before the twenty-eighth pass) and a third with `runner.sandbox: "off"` show
// the sandbox's share (the loop starts no process of a runner at all).
import {execFileSync} from 'node:child_process'
import {appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {ENV, fmt, machineCpuOf, rigor, seedNodes, tempWorkspace, time} from './lib.js'

const NODES = Number(process.env.BENCH_NODES ?? 300)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)

// Two spawned git commands a commit: the loop owns the branch, so after its own
// compare-and-swap it knows the tip and carries it (until the ninth pass it read
// the tip again with a third spawn, `rev-parse`, which made the loop about 1.3x
// slower than it needs to be and rigor's ratio look that much better).
function spawnedLoop(dir, commits) {
  const git = (...args) => execFileSync('git', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  let tip = git('rev-parse', 'refs/heads/main')
  return time(() => {
    for (let i = 0; i < commits; i++) {
      const commit = git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', `loop ${i}`)
      git('update-ref', 'refs/heads/main', commit, tip)
      tip = commit
    }
  }).seconds
}

console.log(`throughput: ${NODES} instant nodes (2 commits each) vs ${2 * NODES} spawned commit-tree + update-ref steps`)
function rigorRun(sandbox, env = {}) {
  const ws = tempWorkspace()
  try {
    if (!sandbox) {
      appendFileSync(join(ws.dir, 'rigor.yaml'), 'runner:\n  sandbox: "off"\n')
      execFileSync('git', ['commit', '-qam', 'sandbox off'], {cwd: ws.dir, env: ENV})
    }
    seedNodes(ws.dir, NODES, ['true'])
    rigor(ws.dir, ['status'])
    const {cpu, value: seconds} = machineCpuOf(() => time(() => rigor(ws.dir, ['work', '--parallel', '4'], env)).seconds)
    return {seconds, cpu, loop: sandbox ? spawnedLoop(ws.dir, 2 * NODES) : undefined}
  } finally {
    ws.cleanup()
  }
}

// the machine's CPU (every process and kernel thread) during each rigor run: with the sandbox most of the difference
// is the kernel's (namespaces and mounts set up and torn down), which no process's own CPU time shows
const cpuText = (cpu) => (cpu ? ` [machine CPU: user ${fmt(cpu.user)} s, system ${fmt(cpu.system)} s]` : '')
for (let round = 0; round < ROUNDS; round++) {
  const {seconds: ours, loop, cpu} = rigorRun(true)
  const perRun = rigorRun(true, {RIGOR_KEPT_SANDBOX: 'off'})
  const bare = rigorRun(false)
  console.log(
    `round ${round + 1}: rigor work --parallel 4 ${fmt(ours)} s (${fmt((2 * NODES) / ours, 1)} commits/s)${cpuText(cpu)}, loop ${fmt(loop)} s (${fmt((2 * NODES) / loop, 1)}/s), rigor/loop throughput ${fmt(loop / ours)} (target >= 2); a sandbox a run ${fmt(perRun.seconds)} s${cpuText(perRun.cpu)}, ${fmt(loop / perRun.seconds)}; without the sandbox ${fmt(bare.seconds)} s${cpuText(bare.cpu)}, ${fmt(loop / bare.seconds)}`,
  )
}
