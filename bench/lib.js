// Shared helpers for the benchmarks: temp workspaces and timing.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {stringify} from 'yaml'

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')
export const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@rigor.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@rigor.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
}

export function tempWorkspace(prefix = 'rigor-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir, env: ENV})
  execFileSync('git', ['config', 'gc.auto', '0'], {cwd: dir, env: ENV})
  rigor(dir, ['init'])
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

export function rigor(cwd, args, env = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd, env: {...ENV, ...env}, encoding: 'utf8', maxBuffer: 1 << 28})
  if (result.status !== 0 && result.status !== 3) throw new Error(`rigor ${args.join(' ')} failed: ${result.stderr}`)
  return result
}

export function seedNodes(dir, count, command, prefix = 'bench') {
  const nodes = Array.from({length: count}, (_, i) => ({id: `${prefix}/n${String(i).padStart(5, '0')}`, team: 'default', run: {command}}))
  writeFileSync(join(dir, 'bench-spec.yaml'), stringify({nodes}, {aliasDuplicateObjects: false}))
  rigor(dir, ['seed', 'bench-spec.yaml'])
}

export function time(fn) {
  const start = process.hrtime.bigint()
  const value = fn()
  return {seconds: Number(process.hrtime.bigint() - start) / 1e9, value}
}

export async function timeAsync(fn) {
  const start = process.hrtime.bigint()
  const value = await fn()
  return {seconds: Number(process.hrtime.bigint() - start) / 1e9, value}
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
export const fmt = (x, d = 2) => Number(x).toFixed(d)

/**
 * The whole machine's CPU time so far, in seconds (Linux's /proc/stat, every core, every process and kernel thread),
 * or undefined elsewhere: what a sandbox costs the kernel is partly spent in kernel threads (namespaces torn down
 * after the process left), which no process's own CPU time shows.
 */
export function machineCpu() {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .map(Number)
    // USER_HZ is 100 on every Linux architecture Node runs on
    return {user: (user + nice) / 100, system: (system + irq + softirq) / 100, steal: steal / 100}
  } catch {
    return undefined
  }
}

/** The machine's CPU seconds spent while `fn` ran (undefined off Linux), and its result. */
export function machineCpuOf(fn) {
  const before = machineCpu()
  const value = fn()
  const after = machineCpu()
  const cpu = before && after ? {user: after.user - before.user, system: after.system - before.system} : undefined
  return {cpu, value}
}
