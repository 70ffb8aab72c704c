import {readFileSync, readdirSync, readlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {runDirs, waitFor} from '../helpers/processes.js'

/**
 * For the `rigor work --follow` tests. Each follower gets --poll 10m, so within
 * a test only the watch on the state branch (or, with --remote, the fetches)
 * can wake it.
 */
export const FOLLOW = ['work', '--follow', '--poll', '10m']

export const GATE = 'gates: [{name: g, reject_when: "metrics.sharpe < 0.0", accept_when: "metrics.sharpe >= 0.3"}]'

/** A runner that reports sharpe 1 at once, or only once `gate` exists (the test decides when it finishes). */
export function accepting(gate?: string): string[] {
  const report = `require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({metrics: {sharpe: 1}}))`
  if (!gate) return [process.execPath, '-e', report]
  return [
    process.execPath,
    '-e',
    `const t = setInterval(() => { if (require('fs').existsSync(${JSON.stringify(gate)})) { clearInterval(t); ${report} } }, 50)`,
  ]
}

/** Seeds `nodes` from a spec kept in .git, so the checkout stays clean. */
export function seedNodes(dir: string, nodes: unknown[], extra: string[] = []): void {
  const spec = join(dir, '.git', `spec-${Math.random().toString(16).slice(2)}.yaml`)
  writeFileSync(spec, stringify({nodes}))
  const result = rigor(dir, ['seed', spec, ...extra])
  expect(result.code, result.stderr).toBe(0)
}

export const statusOf = (dir: string, ...extra: string[]) => json(rigor(dir, ['status', '--json', ...extra])).by_status

/** Live processes working in `dir`: its runners, and any git process a rigor left open. */
export function processesIn(dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) continue
      const cwd = readlinkSync(`/proc/${pid}/cwd`)
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
      if (cwd === dir || cwd.startsWith(`${dir}/`) || env.includes(`RIGOR_WORKSPACE=${dir}`))
        found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`)
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

/** After a stop: no process left in the workspace, nothing running, no run directory. */
export async function expectNothingLeft(dir: string, ...statusArgs: string[]): Promise<void> {
  await waitFor('no process left in the workspace', () => processesIn(dir).length === 0)
  expect(statusOf(dir, ...statusArgs).running).toBe(0)
  expect(runDirs(dir)).toEqual([])
}
