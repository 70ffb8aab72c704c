import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {workspace, writeSpec} from './helpers.js'
import {AUDITABLE_RUNNER, type AuditorKeys, auditorKeys, listAuditors} from './signed-helpers.js'

let repo: TempRepo
let keys: AuditorKeys

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob'])
  repo = workspace()
  const config = listAuditors(repo, keys)
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...config, cycle: {steps: ['work', 'audit']}}))
  repo.git('commit', '-qam', 'a cycle that works and audits')
  writeSpec(repo.dir, {nodes: [{id: 'a/one', team: 'default', run: {command: AUDITABLE_RUNNER}}]})
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
})
afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

describe('rigor cycle with auditors: in rigor.yaml', () => {
  it('audits as --auditor, signed with --signing-key, where auditor-<host> (unlisted, unsigned) could only be refused', () => {
    const bad = rigor(repo.dir, ['cycle', '--auditor', 'Not A Name', '--json'])
    expect(bad.code, bad.stdout).toBe(2)
    expect(json(bad).error.message).toContain('field "--auditor": auditor name "Not A Name" must be lowercase')
    // refused before anything ran: no cycle record, nothing claimed
    expect(existsSync(join(repo.dir, '.git', 'rigor', 'cycle.json'))).toBe(false)
    expect(json(rigor(repo.dir, ['status', '--json'])).by_status.pending).toBe(1)

    const missingKey = rigor(repo.dir, ['cycle', '--auditor', 'alice', '--signing-key', join(keys.dir, 'nobody'), '--json'])
    expect(missingKey.code, missingKey.stdout).toBe(2)
    expect(json(missingKey).error.message).toContain('field "--signing-key": no key file at')

    // as a scheduled cycle gets them: from its environment (the unit's Environment=, the crontab line's env)
    const cycle = rigor(repo.dir, ['cycle', '--json'], {RIGOR_AUDITOR: 'alice', RIGOR_SIGNING_KEY: keys.key('alice')})
    expect(cycle.code, cycle.stdout).toBe(0)
    const result = json(cycle)
    expect(result.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['work', 'succeeded'],
      ['audit', 'succeeded'],
    ])
    expect(result.audit.map((a: any) => a.id)).toEqual(['a/one'])
    expect(result.audit[0].file).toMatch(/^audits\/a\/one\/\d{4}-\d{2}-\d{2}-alice\.md$/)
    // the audit commit carries alice's signature
    expect(repo.git('log', '-1', '--format=%B', '--grep=Rigor-Action: audit')).toContain('Rigor-Node: a/one')
    expect(repo.git('cat-file', 'commit', repo.git('log', '-1', '--format=%H', '--grep=Rigor-Action: audit'))).toContain(
      '-----BEGIN SSH SIGNATURE-----',
    )
  })
})
