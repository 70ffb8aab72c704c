import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {withChecksum} from '../../src/core/state/checksum.js'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {AUDITABLE_RUNNER, type AuditorKeys, auditorKeys, listAuditors} from './signed-helpers.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo
let keys: AuditorKeys

/** Rewrites a state document's status with a fresh checksum, as anyone with the checksum code can. */
function forgeStatus(path: string, status: string) {
  const file = join(repo.dir, path)
  const text = readFileSync(file, 'utf8')
  // node.yaml is plain YAML; verdict.yaml too: both carry their checksum as a field
  const doc = parse(text)
  writeFileSync(file, stringify(withChecksum({...doc, status})))
}

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob'])
  repo = workspace()
  const config = listAuditors(repo, keys)
  // the runner reports a Sharpe of 1: the gates reject it
  writeFileSync(
    join(repo.dir, 'rigor.yaml'),
    stringify({...config, gates: [{name: 'g', reject_when: 'metrics.sharpe < 2', accept_when: 'metrics.sharpe >= 2'}]}),
  )
  repo.git('commit', '-qam', 'a gate the node fails')
  writeSpec(repo.dir, {nodes: ['weak/one', 'weak/two'].map((id) => ({id, team: 'default', run: {command: AUDITABLE_RUNNER}}))})
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
})

afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

describe('a verdict forged in a commit whose message says Rigor-Action: verdict', () => {
  it('does not turn a signed PASS of a rejected node into a deployment', async () => {
    expect(json(rigor(repo.dir, ['show', 'weak/one', '--json'])).status).toBe('proven_rejected')
    // bob audits the rejected node (an audit of a rejection is allowed) and it passes: robust, just not good enough
    await commitAuditReport(repo.dir, {id: 'weak/one', verdict: 'PASS', auditor: 'bob', signingKey: keys.key('bob')})
    const before = rigor(repo.dir, ['deploy', 'weak/one', '--stage', 'paper', '--json'])
    expect(before.code).toBe(1)
    expect(json(before).error.message).toContain('node.accepted')
    // the forgery: both files say proven_accepted, checksums fresh, and the message claims to be rigor's
    forgeStatus('experiments/weak/one/node.yaml', 'proven_accepted')
    forgeStatus('experiments/weak/one/verdict.yaml', 'proven_accepted')
    repo.git(
      'commit',
      '-qam',
      'rigor: weak/one proven_accepted\n\nRigor-Action: verdict\nRigor-Node: weak/one\nRigor-Worker: runner-1\nRigor-Status: proven_accepted',
    )
    expect(json(rigor(repo.dir, ['show', 'weak/one', '--json'])).status).toBe('proven_accepted')
    const deploy = rigor(repo.dir, ['deploy', 'weak/one', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deploy.code, deploy.stdout).toBe(1)
    expect(json(deploy).error.message).toMatch(/audit\.judged_accepted: .*proven_rejected/)
  })

  it('nor does a loosened gate and a re-run that writes the same artifacts', async () => {
    await commitAuditReport(repo.dir, {id: 'weak/two', verdict: 'PASS', auditor: 'bob', signingKey: keys.key('bob')})
    const config = parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8'))
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify({...config, gates: [{name: 'g', accept_when: 'true'}]}))
    repo.git('commit', '-qam', 'accept everything')
    expect(rigor(repo.dir, ['rerun', 'weak/two', '--by', 'carol']).code).toBe(0)
    expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
    expect(json(rigor(repo.dir, ['show', 'weak/two', '--json'])).status).toBe('proven_accepted')
    const deploy = rigor(repo.dir, ['deploy', 'weak/two', '--stage', 'paper', '--by', 'dave', '--json'])
    expect(deploy.code, deploy.stdout).toBe(1)
    const refusal = json(deploy).error.message
    // the PASS still covers the artifacts (the run wrote the same bytes): it is the status it judged that refuses
    expect(refusal).not.toContain('audit.covers_artifacts')
    expect(refusal).toMatch(/audit\.judged_accepted: .*proven_rejected/)
  })
})
