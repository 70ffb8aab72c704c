import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {AUDITABLE_RUNNER, type AuditorKeys, auditorKeys, listAuditors} from './signed-helpers.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
let keys: AuditorKeys

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob'])
  repo = workspace()
  listAuditors(repo, keys)
  writeSpec(repo.dir, {nodes: ['c/x', 'c/y'].map((id) => ({id, team: 'default', run: {command: AUDITABLE_RUNNER}}))})
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
})

afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

/** Commits rigor.yaml changed by `edit`, signed with `signer`'s key or plain. */
function commitConfig(edit: (config: Record<string, unknown>) => void, signer?: string): string {
  const file = join(repo.dir, 'rigor.yaml')
  const config = parse(readFileSync(file, 'utf8'))
  edit(config)
  writeFileSync(file, stringify(config))
  const sign = signer ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${keys.key(signer)}`] : []
  repo.git(...sign, 'commit', ...(signer ? ['-S'] : []), '-qam', 'config')
  return repo.git('rev-parse', 'HEAD').trim()
}

describe('audit:, holdout: and deploy: of rigor.yaml change only with a listed auditor signature', () => {
  it('a plain commit removing the holdout a signed change added: the deploy gate refuses a signed PASS without a holdout result', async () => {
    commitConfig((c) => {
      c.holdout = {fraction: 0.2}
    }, 'bob')
    await commitAuditReport(repo.dir, {id: 'c/x', verdict: 'PASS', auditor: 'alice', signingKey: keys.key('alice'), checks: []})
    const held = json(rigor(repo.dir, ['deploy', 'c/x', '--stage', 'paper', '--json']))
    expect(held.error.message).toContain('holdout.passed')
    const removal = commitConfig((c) => {
      delete c.holdout
    })
    const deploy = rigor(repo.dir, ['deploy', 'c/x', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deploy.code, deploy.stdout).toBe(1)
    expect(json(deploy).error.message).toMatch(
      new RegExp(`config\\.signed: rigor\\.yaml's holdout: \\(changed in ${removal.slice(0, 10)}, not signed`),
    )
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD', 'deployments/paper')).toBe('')

    const signatures = rigor(repo.dir, ['verify', '--signatures', '--json'])
    expect(signatures.code).toBe(1)
    expect(json(signatures).unsigned_sections).toEqual([{section: 'holdout', commit: removal, why: expect.stringContaining('not signed')}])
  })

  it('a plain commit loosening audit: (allow_unverified_returns, a sign-off in an auditor name): rigor audit refuses before writing', () => {
    commitConfig((c) => {
      c.holdout = {fraction: 0.2}
    })
    const loosened = commitConfig((c) => {
      c.audit = {allow_unverified_returns: true, sign_offs: [{node: 'c/y', issue: 'implausible_sharpe', by: 'alice', reason: 'fine'}]}
    })
    const tip = repo.git('rev-parse', 'HEAD').trim()
    const audit = rigor(repo.dir, ['audit', 'c/y', '--auditor', 'alice', '--signing-key', keys.key('alice'), '--json'])
    expect(audit.code, audit.stdout).toBe(1)
    expect(json(audit).error.message).toContain(`audit: was changed by ${loosened.slice(0, 10)}`)
    expect(json(audit).error.fix).toContain('git commit -S')
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tip)
  })

  it('a listed auditor signing a commit of rigor.yaml puts the sections in force; reordering keys changes nothing', () => {
    commitConfig((c) => {
      c.audit = {...(c.audit as object), max_plausible_sharpe: 5}
    }, 'alice')
    expect(json(rigor(repo.dir, ['verify', '--signatures', '--json'])).unsigned_sections).toEqual([])
    commitConfig((c) => {
      const {sign_offs, ...rest} = c.audit as Record<string, unknown>
      c.audit = {sign_offs, ...rest}
    })
    const signatures = rigor(repo.dir, ['verify', '--signatures'])
    expect(signatures.code, signatures.stdout).toBe(0)
  })
})
