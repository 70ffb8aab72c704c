import {afterEach, describe, expect, it} from 'vitest'
import {json, returnsRunner, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor verify --signatures without auditors:', () => {
  it('says the audits it lists were not checked, rather than "N signed file(s) checked"', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('default/a', returnsRunner({sharpe: 1}))]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const audit = rigor(repo.dir, ['audit', 'default/a', '--auditor', 'zed'])
    expect(audit.code, audit.stderr).toBe(0)
    const verify = rigor(repo.dir, ['verify', '--signatures'])
    expect(verify.code, verify.stderr).toBe(0)
    const files = json(rigor(repo.dir, ['verify', '--signatures', '--json'])).files
    expect(files.length).toBeGreaterThan(0)
    expect(files.every((f: {status: string}) => f.status === 'not_checked')).toBe(true)
    expect(verify.stdout).toContain(`ok: 0 signed file(s) checked, ${files.length} not checked (no auditors: in rigor.yaml)`)
  })
})
