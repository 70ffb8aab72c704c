import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {writeRunner} from './audit-fixtures.js'
import {workspace, writeSpec} from './helpers.js'

/** What audit-cheats.test.ts and audit-cheats-more.test.ts share: a workspace, its nodes run, their audits. */

export const results = (audit: any): Record<string, string> => Object.fromEntries(audit.checks.map((c: any) => [c.name, c.result]))
export const check = (audit: any, name: string) => audit.checks.find((c: any) => c.name === name)

/** A workspace with the given data files and rigor.yaml committed (rigor reads both from the branch tip only). */
export function auditWorkspace(files: Record<string, string>, audit: string, base?: string): TempRepo {
  const repo = workspace({base})
  for (const [name, text] of Object.entries(files)) writeFileSync(join(repo.dir, name), text)
  writeFileSync(
    join(repo.dir, 'rigor.yaml'),
    `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'true'}]\naudit: ${audit}\n`,
  )
  repo.git('add', 'rigor.yaml', ...Object.keys(files))
  repo.git('commit', '-qm', 'data')
  return repo
}

/** A node whose runner (written into the workspace) computes positions with `body` from the data file's prices. */
export function strategyNode(repo: TempRepo, id: string, data: string, body: string, extra: Record<string, unknown> = {}, report?: string) {
  return {id, team: 'default', run: {command: ['node', writeRunner(repo.dir, id.replace('/', '-'), body, report)]}, data, ...extra}
}

export function seedAndWork(repo: TempRepo, spec: unknown): void {
  writeSpec(repo.dir, spec)
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'seeder']).code).toBe(0)
  rigor(repo.dir, ['work', '--worker', 'runner', '--parallel', '2'])
}

export function auditNode(repo: TempRepo, id: string): any {
  const result = rigor(repo.dir, ['audit', id, '--auditor', 'risk', '--json'])
  expect(result.code, `${id}: ${result.stderr}${result.stdout}`).toBe(0)
  return json(result)
}
