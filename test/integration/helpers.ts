import {cpSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {inject} from 'vitest'
import {stringify} from 'yaml'
import {rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

/**
 * A fresh initialised workspace in a temp git repo: a copy of the one `rigor init` made for this run
 * (test/helpers/global-setup.ts), the index refreshed for the copy's files; `rigor init` itself without one.
 */
export function workspace(): TempRepo {
  const template = inject('initialisedWorkspace')
  if (template) {
    const repo = gitRepo({init: false})
    cpSync(template, repo.dir, {recursive: true, preserveTimestamps: true})
    repo.git('update-index', '-q', '--refresh')
    return repo
  }
  const repo = gitRepo()
  const init = rigor(repo.dir, ['init'])
  if (init.code !== 0) throw new Error(`rigor init failed: ${init.stderr}`)
  return repo
}

export function writeSpec(dir: string, spec: unknown, name = 'spec.yaml'): string {
  writeFileSync(join(dir, name), typeof spec === 'string' ? spec : stringify(spec, {aliasDuplicateObjects: false}))
  return name
}

export function manyNodes(count: number, command: string[], prefix = 'bulk'): unknown {
  return {
    nodes: Array.from({length: count}, (_, i) => ({
      id: `${prefix}/n${String(i).padStart(4, '0')}`,
      team: 'default',
      run: {command, timeout: '1m'},
    })),
  }
}

/** Commits on main with a given Rigor-Action, counted per node. */
export function actionsPerNode(repo: TempRepo, action: string): Map<string, number> {
  const log = repo.git('log', '--format=%B%x00', 'main')
  const counts = new Map<string, number>()
  for (const message of log.split('\0')) {
    if (!message.includes(`Rigor-Action: ${action}\n`) && !message.trimEnd().endsWith(`Rigor-Action: ${action}`)) continue
    for (const m of message.matchAll(/^Rigor-Node: (.+)$/gm)) {
      counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1)
      // a verdict's further nodes are the ones it spawned; a claim commit may claim several (--prefetch)
      if (action === 'verdict') break
    }
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
