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
let main: string
let config: Record<string, unknown>

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob', 'mallory'])
  repo = workspace()
  config = listAuditors(repo, keys)
  main = repo.git('branch', '--show-current').trim()
  writeSpec(repo.dir, {nodes: ['r/x', 'r/y'].map((id) => ({id, team: 'default', run: {command: AUDITABLE_RUNNER}}))})
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
})

afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

/** A branch with a history of its own (no commit of main's), holding main's files, whose rigor.yaml is `own`. */
function orphanBranch(name: string, own: Record<string, unknown>): void {
  repo.git('checkout', '-q', '--orphan', name, main)
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...own, branch: name}))
  repo.git('add', '-A')
  repo.git('commit', '-qm', 'rigor: init', '-m', 'Rigor-Action: init')
}

/** A plain commit on main pointing the state at `branch`. */
function redirect(branch: string): void {
  repo.git('checkout', '-q', '-f', main)
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...config, branch}))
  repo.git('commit', '-qam', 'the state moved')
}

describe('branch: cannot move the state to a history with other auditors', () => {
  it('a plain commit naming an orphan branch whose first auditors: list is mallory: deploy, verify --signatures and audit refuse', async () => {
    orphanBranch('evil', {...config, auditors: [{name: 'mallory', key: keys.pub('mallory')}]})
    await commitAuditReport(repo.dir, {id: 'r/x', verdict: 'PASS', auditor: 'mallory', signingKey: keys.key('mallory'), checks: []})
    redirect('evil')

    const deploy = rigor(repo.dir, ['deploy', 'r/x', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deploy.code, deploy.stdout).toBe(1)
    expect(json(deploy).error.message).toContain("the state branch's auditors: list does not start where the checked-out commit's does")
    expect(json(deploy).error.message).toContain('(alice, bob)')
    expect(json(deploy).error.message).toContain('(mallory)')
    expect(repo.git('ls-tree', '-r', '--name-only', 'evil', 'deployments/paper')).toBe('')

    const signatures = rigor(repo.dir, ['verify', '--signatures'])
    expect(signatures.code).toBe(1)
    expect(signatures.stderr).toContain('branch: in rigor.yaml')
    const audit = rigor(repo.dir, ['audit', 'r/y', '--auditor', 'mallory', '--signing-key', keys.key('mallory')])
    expect(audit.code).toBe(1)
    expect(repo.git('ls-tree', '-r', '--name-only', 'evil', 'audits/r/y')).toBe('')
  })

  it('an orphan branch with no auditors: at all (its audits unauthenticated) is refused too', async () => {
    const {auditors: _, ...open} = config
    orphanBranch('open', open)
    await commitAuditReport(repo.dir, {id: 'r/x', verdict: 'PASS', auditor: 'mallory', checks: []})
    redirect('open')
    const deploy = rigor(repo.dir, ['deploy', 'r/x', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deploy.code, deploy.stdout).toBe(1)
    expect(json(deploy).error.message).toContain('has no auditors: list')
  })

  it('a branch that shares the state branch history (a feature branch naming main) deploys with a signed PASS', async () => {
    repo.git('checkout', '-q', '-f', main)
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    repo.git('commit', '-qam', 'the state is back on main')
    await commitAuditReport(repo.dir, {id: 'r/x', verdict: 'PASS', auditor: 'alice', signingKey: keys.key('alice'), checks: []})
    repo.git('checkout', '-q', '-b', 'feature')
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')), branch: main}))
    repo.git('commit', '-qam', 'a feature branch naming the state branch')
    repo.git('checkout', '-q', main)
    repo.git('commit', '-q', '--allow-empty', '-m', 'main moves on')
    repo.git('checkout', '-q', 'feature')
    const deploy = rigor(repo.dir, ['deploy', 'r/x', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deploy.code, deploy.stdout).toBe(0)
    expect(json(deploy).audit_signer).toBe('alice')
  })
})
