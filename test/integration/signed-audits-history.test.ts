import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {AUDITABLE_RUNNER, type AuditorKeys, auditorKeys, listAuditors} from './signed-helpers.js'
import {workspace, writeSpec} from './helpers.js'

// Merges and removals: what git's own path-limited log does not show must not let an unsigned hand change what counts.

let repo: TempRepo
let keys: AuditorKeys
const key = (name: string) => keys.key(name)
const pub = (name: string) => keys.pub(name)

const RUNNER = AUDITABLE_RUNNER

/** Commits an audit report of `id` on the checked-out branch, signed with `signer`'s key or not at all. */
const commitAudit = (id: string, a: {verdict: 'PASS' | 'FAIL'; auditor: string; signer?: string; day: string}) =>
  commitAuditReport(repo.dir, {
    id,
    verdict: a.verdict,
    auditor: a.auditor,
    file: `audits/${id}/${a.day}-${a.auditor}.md`,
    signingKey: a.signer && key(a.signer),
    checks: [{name: 'lookahead.truncation', result: a.verdict === 'PASS' ? 'pass' : 'fail', figures: {}}],
  })

const git = (...args: string[]) => repo.git(...args).trim()
const deploy = (id: string) => rigor(repo.dir, ['deploy', id, '--stage', 'paper', '--json'])
const refusal = (id: string) => {
  const result = deploy(id)
  expect(result.code, result.stdout).toBe(1)
  return json(result).error.message as string
}
const signatures = () => rigor(repo.dir, ['verify', '--signatures', '--json'])
const statusOf = (report: {files: Array<{file: string; status: string}>}, file: string) => report.files.find((f) => f.file === file)?.status
const ids = ['hist/merged', 'hist/evil', 'hist/removed', 'hist/retracted', 'hist/auditors', 'hist/ours', 'hist/record', 'hist/overruled']
let main: string
/** the commit before any auditors: were listed */
let unlisted: string

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob', 'mallory'])
  repo = workspace()
  unlisted = git('rev-parse', 'HEAD')
  listAuditors(repo, keys)
  writeSpec(repo.dir, {nodes: ids.map((id) => ({id, team: 'default', run: {command: RUNNER}}))})
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
  main = git('branch', '--show-current')
})

afterAll(() => {
  repo?.cleanup()
  keys?.remove()
})

describe('signed audits across merges and removals', () => {
  it('a signed audit merged from a review branch with a merge commit counts', async () => {
    git('checkout', '-q', '-b', 'review')
    await commitAudit('hist/merged', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-02'})
    git('checkout', '-q', main)
    writeFileSync(join(repo.dir, 'notes.txt'), 'meanwhile on main\n')
    git('add', 'notes.txt')
    git('commit', '-qm', 'a note')
    git('merge', '-q', '--no-ff', '--no-edit', 'review')
    const deployed = deploy('hist/merged')
    expect(deployed.code, deployed.stdout).toBe(0)
    expect(json(deployed).audit_signer).toBe('alice')
  })

  it('a merge that puts an older signed PASS back over the signed FAIL that replaced it does not count', async () => {
    await commitAudit('hist/evil', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-03'})
    const passed = git('rev-parse', 'HEAD')
    // the same day's FAIL replaces the PASS file
    await commitAudit('hist/evil', {verdict: 'FAIL', auditor: 'alice', signer: 'alice', day: '2026-01-03'})
    expect(refusal('hist/evil')).toContain('audit.pass')
    git('checkout', '-q', '-b', 'side', passed)
    writeFileSync(join(repo.dir, 'docs.txt'), 'docs\n')
    git('add', 'docs.txt')
    git('commit', '-qm', 'docs')
    git('checkout', '-q', main)
    repo.git('merge', '-q', '--no-commit', 'side')
    git('checkout', 'side', '--', 'audits/hist/evil')
    git('commit', '-qm', 'Merge docs')
    expect(readFileSync(join(repo.dir, 'audits/hist/evil/2026-01-03-alice.md'), 'utf8')).toContain('verdict: PASS')
    expect(refusal('hist/evil')).toMatch(/audit\.untampered: .*2026-01-03-alice\.md: changed after signing/)
    const report = json(signatures())
    expect(statusOf(report, 'audits/hist/evil/2026-01-03-alice.md')).toBe('changed_after_signing')
  })

  it('an unsigned removal of a signed FAIL lets no older PASS decide; putting it back as signed does', async () => {
    await commitAudit('hist/removed', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-04'})
    const fail = await commitAudit('hist/removed', {verdict: 'FAIL', auditor: 'bob', signer: 'bob', day: '2026-01-05'})
    expect(refusal('hist/removed')).toContain('audit.pass')
    git('rm', '-q', fail)
    git('commit', '-qm', 'cleanup')
    const removal = git('rev-parse', 'HEAD')
    expect(refusal('hist/removed')).toMatch(/audit\.untampered: .*2026-01-05-bob\.md: removed after signing/)
    const checked = signatures()
    expect(checked.code).toBe(1)
    const entry = json(checked).files.find((f: {file: string}) => f.file === fail)
    expect(entry).toMatchObject({status: 'removed_after_signing', signer: 'bob', failed: true})
    // the fix the gate gives: the signed bytes back, in a plain commit
    git('checkout', `${removal}^`, '--', fail)
    git('commit', '-qm', 'restore the FAIL')
    expect(statusOf(json(signatures()), fail)).toBe('good')
    expect(refusal('hist/removed')).toContain(`audit.pass: ${fail} is FAIL`)
  })

  it("an unsigned edit of a signed FAIL's record (the .json beside the report) lets no older PASS decide", async () => {
    await commitAudit('hist/record', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-10'})
    // a real audit: its report holds the checksum of the record beside it (this runner's returns are not verified: FAIL)
    const audited = rigor(repo.dir, ['audit', 'hist/record', '--auditor', 'bob', '--signing-key', key('bob'), '--json'])
    expect(audited.code, audited.stderr).toBe(0)
    expect(json(audited).verdict).toBe('FAIL')
    const record = (json(audited).file as string).replace(/\.md$/, '.json')
    expect(refusal('hist/record')).toContain('audit.pass')
    // the report is untouched; the record no longer matches the checksum it holds, so the FAIL is unusable
    const path = join(repo.dir, record)
    writeFileSync(path, readFileSync(path, 'utf8').replace('"verdict": "FAIL"', '"verdict": "PASS"'))
    git('commit', '-qam', 'tidy the record')
    expect(refusal('hist/record')).toMatch(new RegExp(`audit\\.untampered: .*${record}: changed after signing`))
    const checked = signatures()
    expect(checked.code).toBe(1)
    expect(json(checked).files.find((f: {file: string}) => f.file === record)).toMatchObject({
      status: 'changed_after_signing',
      signer: 'bob',
      failed: true,
    })
  })

  it('a merge that keeps its own side (-s ours) over a branch with a signed FAIL, then fast-forwarded, lets no older PASS decide', async () => {
    await commitAudit('hist/ours', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-07'})
    const passed = git('rev-parse', 'HEAD')
    const fail = await commitAudit('hist/ours', {verdict: 'FAIL', auditor: 'bob', signer: 'bob', day: '2026-01-08'})
    const failed = git('rev-parse', 'HEAD')
    git('checkout', '-q', '-b', 'ours-side', passed)
    git('merge', '-q', '-s', 'ours', '--no-edit', main)
    git('checkout', '-q', main)
    git('merge', '-q', '--ff-only', 'ours-side')
    // nothing on the branch's own line ever changed the FAIL: it is simply not there
    expect(git('ls-tree', '--name-only', 'HEAD', 'audits/hist/ours/')).not.toContain('bob')
    const message = refusal('hist/ours')
    expect(message).toMatch(/audit\.untampered: .*2026-01-08-bob\.md: removed after signing .*a merge left that version out/)
    expect(json(deploy('hist/ours')).error.fix).toContain(`git checkout ${failed.slice(0, 10)} -- ${fail}`)
    const entry = json(signatures()).files.find((f: {file: string}) => f.file === fail)
    expect(entry).toMatchObject({status: 'removed_after_signing', signer: 'bob', failed: true})
  })

  it("a removal signed by the audit's own auditor is a retraction", async () => {
    await commitAudit('hist/retracted', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-04'})
    const fail = await commitAudit('hist/retracted', {verdict: 'FAIL', auditor: 'bob', signer: 'bob', day: '2026-01-05'})
    git('rm', '-q', fail)
    git('-c', 'gpg.format=ssh', '-c', `user.signingkey=${key('bob')}`, 'commit', '-S', '-qm', 'bob retracts his FAIL')
    expect(statusOf(json(signatures()), fail)).toBe('removed')
    const deployed = deploy('hist/retracted')
    expect(deployed.code, deployed.stdout).toBe(0)
  })

  it("another auditor's signature neither retracts nor changes an audit: only its own auditor's does", async () => {
    await commitAudit('hist/overruled', {verdict: 'PASS', auditor: 'alice', signer: 'alice', day: '2026-01-11'})
    const fail = await commitAudit('hist/overruled', {verdict: 'FAIL', auditor: 'bob', signer: 'bob', day: '2026-01-12'})
    const signedFail = git('rev-parse', 'HEAD')
    const asAlice = ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key('alice')}`]
    // alice, whose PASS the FAIL outvotes, removes bob's FAIL with her own key
    git('rm', '-q', fail)
    git(...asAlice, 'commit', '-S', '-qm', 'alice drops the FAIL')
    expect(refusal('hist/overruled')).toMatch(
      new RegExp(
        `audit\\.untampered: .*${fail}: removed after signing .*signed by alice, but only bob, who signed the file, may change or remove it`,
      ),
    )
    let entry = json(signatures()).files.find((f: {file: string}) => f.file === fail)
    expect(entry).toMatchObject({status: 'removed_after_signing', signer: 'bob', failed: true})
    // nor may she rewrite it
    git('checkout', signedFail, '--', fail)
    writeFileSync(join(repo.dir, fail), readFileSync(join(repo.dir, fail), 'utf8').replace('# Audit', '# Reviewed audit'))
    git('add', fail)
    git(...asAlice, 'commit', '-S', '-qm', 'alice edits the FAIL')
    expect(refusal('hist/overruled')).toMatch(new RegExp(`audit\\.untampered: .*${fail}: changed after signing`))
    entry = json(signatures()).files.find((f: {file: string}) => f.file === fail)
    expect(entry).toMatchObject({status: 'changed_after_signing', signer: 'bob', failed: true})
  })

  it('an unsigned change of auditors: brought in by a merge commit does not count', async () => {
    // a branch from before the list: git's own log, following the merge into it, saw its change as the first list
    git('checkout', '-q', '-b', 'config-side', unlisted)
    const config = parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8'))
    config.auditors = [{name: 'alice', key: pub('mallory')}]
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    git('commit', '-qam', 'tweak config')
    git('checkout', '-q', main)
    git('merge', '-q', '--no-edit', '-X', 'theirs', 'config-side')
    expect(parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')).auditors[0].key).toBe(pub('mallory'))
    const report = json(signatures())
    expect(report.chain.at(-1).change).toBe('ignored')
    expect(report.auditors).toEqual(['alice', 'bob'])
    // mallory, signing as "alice", counts for nothing
    await commitAudit('hist/auditors', {verdict: 'PASS', auditor: 'alice', signer: 'mallory', day: '2026-01-06'})
    expect(refusal('hist/auditors')).toMatch(/audit\.signed: .*unknown key/)
  })
})
