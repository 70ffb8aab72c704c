import {cpSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {inject} from 'vitest'
import {stringify} from 'yaml'
import {rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {SH_OK} from '../fixtures/runners.js'

/**
 * A fresh initialised workspace in a temp git repo: a copy of the one `rigor init` made for this run
 * (test/helpers/global-setup.ts), the index refreshed for the copy's files; `rigor init` itself without one.
 */
export function workspace(opts: {base?: string} = {}): TempRepo {
  const template = inject('initialisedWorkspace')
  if (template) {
    const repo = gitRepo({init: false, base: opts.base})
    cpSync(template, repo.dir, {recursive: true, preserveTimestamps: true})
    repo.git('update-index', '-q', '--refresh')
    return repo
  }
  const repo = gitRepo({base: opts.base})
  const init = rigor(repo.dir, ['init'])
  if (init.code !== 0) throw new Error(`rigor init failed: ${init.stderr}`)
  return repo
}

export function writeSpec(dir: string, spec: unknown, name = 'spec.yaml'): string {
  writeFileSync(join(dir, name), typeof spec === 'string' ? spec : stringify(spec, {aliasDuplicateObjects: false}))
  return name
}

/** A seed spec's node of the default team: `command` (a runner that writes a verdict by default), timeout 1m, and `extra`. */
export const nodeSpec = (id: string, command: string[] = SH_OK, extra: Record<string, unknown> = {}) => ({
  id,
  team: 'default',
  run: {command, timeout: '1m'},
  ...extra,
})

export function manyNodes(count: number, command: string[], prefix = 'bulk'): unknown {
  return {nodes: Array.from({length: count}, (_, i) => nodeSpec(`${prefix}/n${String(i).padStart(4, '0')}`, command))}
}

/**
 * `families` nodes with `variants` children each (momentum/family-F/variant-V): 20 x 20 is 400 edges and about
 * 70,000 characters of mermaid, more than mermaid draws by default (50,000 characters, 500 edges).
 */
export function familiesSpec(families: number, variants: number, command: string[]): {nodes: unknown[]} {
  const nodes = Array.from({length: families}, (_, f) => [
    {id: `momentum/family-${f}`, team: 'default', run: {command}},
    ...Array.from({length: variants}, (_, v) => ({id: `momentum/family-${f}/variant-${v}`, team: 'default', run: {command}})),
  ]).flat()
  return {nodes}
}

/** Commits on main with a given Rigor-Action, counted per node. */
export function actionsPerNode(repo: TempRepo, action: string): Map<string, number> {
  return actionsInLog(repo.git('log', '--format=%B%x00', 'main'), action)
}

/**
 * Per node, how many commits of `action` in `log` (`git log --format=%B%x00`) name it: a verdict
 * names its node first (then the ones it spawned); a claim or a release every node it holds
 * (--prefetch claims several, a stop releases several).
 */
export function actionsInLog(log: string, action: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of log.split('\0')) {
    if (!new RegExp(`^Rigor-Action: ${action}$`, 'm').test(message)) continue
    const nodes = [...message.matchAll(/^Rigor-Node: (.+)$/gm)].map((m) => m[1]!)
    for (const node of action === 'verdict' ? nodes.slice(0, 1) : nodes) counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}

/** rigor.yaml with `config` (and the default team), committed: rigor reads its config from the branch tip only. */
export function commitConfig(repo: TempRepo, config: Record<string, unknown>): void {
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({version: 1, teams: [{name: 'default'}], ...config}))
  repo.git('add', 'rigor.yaml')
  repo.git('commit', '-qm', 'config')
}

/** What test/fixtures/notifier.mjs logged in the workspace (notified.jsonl), one call a line. */
export function notifications(repo: TempRepo): Array<{argv: string[]; stdin: string; event: any}> {
  const file = join(repo.dir, 'notified.jsonl')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}
