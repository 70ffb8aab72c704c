#!/usr/bin/env node
// bench/sandbox-cost: what the runner sandbox costs per run. Starts `true` in
// bubblewrap with exactly the argv rigor builds for a runner (sandboxArgv from
// the build, gate included), then with one part of it left out at a time, and
// plainly, interleaved round by round; prints medians and the ratio to the
// plain spawn. Every instant node of `rigor work` pays the first line where
// the sandbox is on. Needs bwrap and `npm run build`.
import {spawnSync} from 'node:child_process'
import {closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {hostRuntime, sandboxArgv} from '../dist/core/dag/sandbox.js'
import {sandboxFilter} from '../dist/core/dag/seccomp.js'
import {fmt, machineCpuOf, median} from './lib.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 80)
const root = mkdtempSync(join(tmpdir(), 'rigor-sandbox-cost-'))
mkdirSync(join(root, '.git', 'rigor', 'runs', 'r', 'out'), {recursive: true})
const out = join(root, '.git', 'rigor', 'runs', 'r', 'out')
const spec = {root, readable: [], writable: [out], overlays: [], network: false, runtime: hostRuntime()}
// the held launch reads its gate on fd 3: a file holding the word "go" opens it
const gateFile = join(root, 'gate')
writeFileSync(gateFile, 'go\n')

/** rigor's argv without `flag` and the `arity` operands after each of its uses */
function without(argv, flag, arity) {
  const kept = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) i += arity
    else kept.push(argv[i])
  }
  return kept
}

// the seccomp program rigor hands bwrap on fd 4 (seccomp.ts), from a file opened for each start
const filterFile = join(root, 'seccomp.bpf')
writeFileSync(filterFile, sandboxFilter() ?? Buffer.alloc(0))
const seccompFd = sandboxFilter() ? 4 : undefined

const [bwrap, held] = sandboxArgv(spec, 'true', [], {gateFd: 3, seccompFd})
const [, direct] = sandboxArgv(spec, 'true', [], {seccompFd})
const variants = {
  'as rigor runs it (gate shell, then true)': held,
  'without the gate shell': direct,
  'without the seccomp filter': without(direct, '--seccomp', 1),
  'without --unshare-ipc': without(direct, '--unshare-ipc', 0),
  'without --dev /dev': without(direct, '--dev', 1),
  'without --unshare-net': without(direct, '--unshare-net', 0),
  'without the hidden /run': sandboxArgv({...spec, runtime: {dirs: []}}, 'true', [], {seccompFd})[1],
  'only --ro-bind / / (the least bwrap does)': ['--ro-bind', '/', '/', '--', 'true'],
}
const gated = (argv) => argv === held
// the machine's CPU per start: starts in a block, then a pause that the kernel's deferred clean-up lands in
const BLOCK = Number(process.env.BENCH_BLOCK ?? 100)
const SETTLE_S = 0.3
const cpuPerStart = {}

/** One start of `argv`, its wall time in ms; throws when bwrap fails. */
function startOnce(name, argv) {
  const gate = gated(argv) ? openSync(gateFile, 'r') : 'ignore'
  const filter = filtered(argv) ? openSync(filterFile, 'r') : 'ignore'
  const start = performance.now()
  const result = spawnSync(bwrap, argv, {stdio: ['ignore', 'ignore', 'pipe', gate, filter], encoding: 'utf8'})
  const ms = performance.now() - start
  if (typeof gate === 'number') closeSync(gate)
  if (typeof filter === 'number') closeSync(filter)
  if (result.status !== 0) throw new Error(`${name}: bwrap exited with ${result.status}: ${result.stderr}`)
  return ms
}
const filtered = (argv) => argv.includes('--seccomp')
const seconds = Object.fromEntries([...Object.keys(variants), 'plain spawn of true'].map((k) => [k, []]))
try {
  const probe = spawnSync(bwrap, without(direct, '--seccomp', 1), {encoding: 'utf8'})
  if (probe.error || probe.status !== 0) {
    console.log(`sandbox-cost: bwrap cannot start here (${probe.error?.message ?? probe.stderr.trim()}); nothing to measure`)
    process.exit(0)
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, argv] of Object.entries(variants)) seconds[name].push(startOnce(name, argv))
    const start = performance.now()
    spawnSync('true', [], {stdio: 'ignore'})
    seconds['plain spawn of true'].push(performance.now() - start)
  }
  // then the machine's CPU a start costs, variant by variant: a block of starts and a pause for the kernel's deferred
  // clean-up, all counted (the clock ticks of /proc/stat are too coarse to time one start)
  for (const [name, argv] of [...Object.entries(variants), ['plain spawn of true', undefined]]) {
    const {cpu} = machineCpuOf(() => {
      for (let i = 0; i < BLOCK; i++) {
        if (argv) startOnce(name, argv)
        else spawnSync('true', [], {stdio: 'ignore'})
      }
      spawnSync('sleep', [String(SETTLE_S)])
    })
    if (cpu) cpuPerStart[name] = {user: (cpu.user * 1000) / BLOCK, system: (cpu.system * 1000) / BLOCK}
  }
} finally {
  rmSync(root, {recursive: true, force: true})
}

const plain = median(seconds['plain spawn of true'])
console.log(`sandbox-cost: ${ROUNDS} interleaved rounds, median ms per start (ratio to a plain spawn)`)
for (const [name, xs] of Object.entries(seconds)) console.log(`  ${name}: ${fmt(median(xs))} ms (${fmt(median(xs) / plain)}x)`)
if (Object.keys(cpuPerStart).length > 0) {
  // the pause counts the idle machine's own CPU too: a fixed share, the same for every line
  console.log(`sandbox-cost: the machine's CPU per start (every process and kernel thread; ${BLOCK} starts in a block, then ${SETTLE_S} s)`)
  for (const [name, cpu] of Object.entries(cpuPerStart))
    console.log(`  ${name}: ${fmt(cpu.user + cpu.system)} ms (user ${fmt(cpu.user)}, system ${fmt(cpu.system)})`)
}
