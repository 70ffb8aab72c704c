import {execFileSync} from 'node:child_process'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
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
const key = (name: string) => keys.key(name)
const pub = (name: string) => keys.pub(name)

const RUNNER = AUDITABLE_RUNNER

/** Commits an audit report of `id` the way a hand (or the auditor) would, signed with `signer`'s key or not at all. */
const commitAudit = (id: string, a: {verdict: 'PASS' | 'FAIL'; auditor: string; signer?: string; file?: string}) =>
  commitAuditReport(repo.dir, {
    id,
    verdict: a.verdict,
    auditor: a.auditor,
    file: a.file,
    signingKey: a.signer && key(a.signer),
    checks: [{name: 'lookahead.truncation', result: a.verdict === 'PASS' ? 'pass' : 'fail', figures: {}}],
  })

const refusal = (id: string) => {
  const result = rigor(repo.dir, ['deploy', id, '--stage', 'paper', '--json'])
  expect(result.code, result.stdout).toBe(1)
  return json(result).error.message as string
}

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob', 'carol', 'mallory'])
  repo = workspace()
  const config = listAuditors(repo, keys)
  // an agent whose program is called "alice" designs one node: alice may not audit it
  const agent = join(keys.dir, 'alice-agent', 'alice')
  execFileSync('mkdir', ['-p', join(keys.dir, 'alice-agent')])
  const answer = [
    '```yaml',
    'nodes:',
    '  - id: signed/designed',
    '    team: default',
    `    run: {command: ${JSON.stringify(RUNNER)}}`,
    '```',
    '',
  ].join('\n')
  writeFileSync(agent, `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(answer)})\n`)
  chmodSync(agent, 0o755)
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...config, agent: {command: [agent]}}))
  repo.git('commit', '-qam', 'an agent')
  const ids = ['signed/forged', 'signed/unknown', 'signed/edited', 'signed/changed', 'signed/honest', 'signed/seeded']
  writeSpec(repo.dir, {nodes: ids.map((id) => ({id, team: 'default', run: {command: RUNNER}}))})
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  const designed = rigor(repo.dir, ['design', '--count', '1'])
  expect(designed.code, designed.stderr + designed.stdout).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
})

afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

describe('audits nobody can forge', () => {
  it('the deploy gate refuses a forged, an unknown-key, an edited, a designer and a seeder PASS, and a changed artifact; an honest signed PASS deploys', async () => {
    await commitAudit('signed/forged', {verdict: 'PASS', auditor: 'alice'})
    expect(refusal('signed/forged')).toMatch(/audit\.signed: .*unsigned/)

    await commitAudit('signed/unknown', {verdict: 'PASS', auditor: 'alice', signer: 'mallory'})
    expect(refusal('signed/unknown')).toMatch(/audit\.signed: .*unknown key/)

    // alice signs a FAIL; someone turns it into a PASS with a valid checksum and commits it unsigned
    const file = await commitAudit('signed/edited', {verdict: 'FAIL', auditor: 'alice', signer: 'alice'})
    await commitAudit('signed/edited', {verdict: 'PASS', auditor: 'alice', file})
    expect(refusal('signed/edited')).toMatch(/audit\.untampered: .*changed after signing/)

    await commitAudit('signed/designed', {verdict: 'PASS', auditor: 'alice', signer: 'alice'})
    expect(refusal('signed/designed')).toMatch(/audit\.independent: alice designed this node \(agent:alice\)/)

    await commitAudit('signed/seeded', {verdict: 'PASS', auditor: 'carol', signer: 'carol'})
    expect(refusal('signed/seeded')).toMatch(/audit\.signed: .*unknown key/)

    await commitAudit('signed/changed', {verdict: 'PASS', auditor: 'bob', signer: 'bob'})
    writeFileSync(join(repo.dir, 'experiments/signed/changed/out/returns.csv'), 'date,return\n2020-01-02,0.5\n')
    repo.git('commit', '-qam', 'a better return')
    expect(refusal('signed/changed')).toContain('audit.covers_artifacts')

    await commitAudit('signed/honest', {verdict: 'PASS', auditor: 'bob', signer: 'bob'})
    const deployed = rigor(repo.dir, ['deploy', 'signed/honest', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deployed.code, deployed.stdout).toBe(0)
    expect(json(deployed).audit_signer).toBe('bob')
    expect(readFileSync(join(repo.dir, 'deployments/paper/signed/honest.yaml'), 'utf8')).toContain('signed_by: bob')

    const signatures = rigor(repo.dir, ['verify', '--signatures', '--json'])
    expect(signatures.code).toBe(1)
    const report = json(signatures)
    const status = (node: string) => report.files.find((f: {file: string}) => f.file.startsWith(`audits/${node}/`))?.status
    expect(status('signed/forged')).toBe('unsigned')
    expect(status('signed/unknown')).toBe('unknown_key')
    expect(status('signed/edited')).toBe('changed_after_signing')
    expect(status('signed/honest')).toBe('good')
    expect(report.chain[0].change).toBe('first')
    // the artifact changed after its verdict: plain verify says so
    const verify = rigor(repo.dir, ['verify'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toContain('experiments/signed/changed/out/')
  })

  it('a change to auditors: not signed by a listed auditor does not count; rigor audit refuses unlisted names and wrong keys', async () => {
    const config = parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8'))
    config.auditors.push({name: 'mallory', key: pub('mallory')})
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    repo.git('commit', '-qam', 'let mallory audit')
    const signatures = json(rigor(repo.dir, ['verify', '--signatures', '--json']))
    expect(signatures.auditors).toEqual(['alice', 'bob'])
    expect(signatures.chain.at(-1).change).toBe('ignored')
    // mallory's signature still counts for nothing
    await commitAudit('signed/honest', {verdict: 'FAIL', auditor: 'mallory', signer: 'mallory'})
    expect(rigor(repo.dir, ['audit', 'signed/forged', '--auditor', 'mallory', '--signing-key', key('mallory')]).stderr).toContain(
      'not in auditors',
    )
    const noKey = rigor(repo.dir, ['audit', 'signed/forged', '--auditor', 'alice'])
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain('--signing-key')
    const wrongKey = rigor(repo.dir, ['audit', 'signed/forged', '--auditor', 'alice', '--signing-key', key('bob')])
    expect(wrongKey.code).toBe(2)
    expect(wrongKey.stderr).toContain('not the one auditors: lists for alice')
  })
})
