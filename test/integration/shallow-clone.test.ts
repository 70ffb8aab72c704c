import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {AUDITABLE_RUNNER, type AuditorKeys, auditorKeys, listAuditors} from './signed-helpers.js'
import {workspace, writeSpec} from './helpers.js'

// actions/checkout clones with fetch-depth: 1 unless told otherwise: the oldest commit of such a clone shows as adding
// every file it has, by whoever made it. Who changed a state file, and which auditors: list is in force, must not be
// read from that cut.

let repo: TempRepo
let keys: AuditorKeys
const clones: TempRepo[] = []

/** A clone of the workspace holding its newest `depth` commits, as `git clone --depth` (actions/checkout) makes one. */
function shallowClone(depth: number): string {
  const scratch = gitRepo({init: false})
  clones.push(scratch)
  const dir = join(scratch.dir, 'clone')
  execFileSync('git', ['clone', '-q', '--depth', String(depth), `file://${repo.dir}`, dir], {env: {...process.env, ...GIT_ENV}})
  expect(execFileSync('git', ['rev-parse', '--is-shallow-repository'], {cwd: dir, encoding: 'utf8'}).trim()).toBe('true')
  return dir
}

beforeAll(() => {
  keys = auditorKeys(['alice', 'bob', 'mallory'])
  repo = workspace()
  listAuditors(repo, keys)
  writeSpec(repo.dir, {nodes: [{id: 'cut/a', team: 'default', run: {command: AUDITABLE_RUNNER}}]})
  expect(rigor(repo.dir, ['seed', 'spec.yaml', '--by', 'carol']).code).toBe(0)
  expect(rigor(repo.dir, ['work', '--worker', 'runner-1']).code).toBe(0)
})

afterAll(() => {
  for (const clone of clones) clone.cleanup()
  repo?.cleanup()
  keys?.remove()
})

describe('a shallow clone (git clone --depth, as actions/checkout makes by default)', () => {
  it("whose oldest commit is a hand commit: rigor's state files are not taken for files that commit added", () => {
    writeFileSync(join(repo.dir, 'notes.md'), 'a note of mine\n')
    repo.git('add', 'notes.md')
    repo.git('commit', '-qm', 'a note')
    const dir = shallowClone(1)
    const status = rigor(dir, ['status'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stderr).not.toContain('rigor did not make')
    const verify = rigor(dir, ['verify', '--json'])
    expect(verify.code, verify.stdout).toBe(0)
    // a hand commit above the cut that removes what rigor wrote there is still found
    const clone = (...args: string[]) => execFileSync('git', args, {cwd: dir, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
    writeSpec(dir, {nodes: [{id: 'cut/b', team: 'default', run: {command: AUDITABLE_RUNNER}}]})
    expect(rigor(dir, ['seed', 'spec.yaml']).code).toBe(0)
    clone('rm', '-q', 'experiments/cut/b/node.yaml')
    clone('commit', '-qm', 'drop a node')
    const found = rigor(dir, ['verify', '--json'])
    expect(found.code).toBe(1)
    expect(json(found).hand_changes.map((c: {path: string; change: string}) => `${c.path} ${c.change}`)).toEqual([
      'experiments/cut/b/node.yaml removed',
    ])
  })

  it("cut within the days the daily report counts: rigor report refuses rather than commit the clone's share of the day as its numbers", () => {
    const whole = rigor(repo.dir, ['report', '--json'])
    expect(whole.code, whole.stdout).toBe(0)
    expect(json(whole).report.activity).toMatchObject({seeded: 1, run: 1})
    const dir = shallowClone(1)
    const tip = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: dir, encoding: 'utf8'})
    const report = rigor(dir, ['report', '--json'])
    expect(report.code, report.stdout).toBe(2)
    const error = json(report).error
    expect(error.message).toContain('shallow')
    expect(error.fix).toContain('git fetch --unshallow')
    expect(execFileSync('git', ['rev-parse', 'HEAD'], {cwd: dir, encoding: 'utf8'})).toBe(tip)
  })

  it('cut at an unsigned change of auditors:, the list it commits is not trusted on first use: deploy, audit and verify --signatures refuse, saying how to fetch the history', async () => {
    // mallory lists her own key without an auditor's signature (in a commit that says rigor made it), then signs her own PASS
    const config = parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8'))
    config.auditors = [{name: 'alice', key: keys.pub('mallory')}]
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    repo.git('commit', '-qam', 'rotate a key', '--trailer', 'Rigor-Action: seed')
    await commitAuditReport(repo.dir, {id: 'cut/a', verdict: 'PASS', auditor: 'alice', signingKey: keys.key('mallory')})
    // the whole history knows the change does not count
    const whole = rigor(repo.dir, ['deploy', 'cut/a', '--stage', 'paper', '--json'])
    expect(whole.code, whole.stdout).toBe(1)
    const dir = shallowClone(2)
    for (const args of [
      ['deploy', 'cut/a', '--stage', 'paper', '--json'],
      ['verify', '--signatures', '--json'],
      ['audit', 'cut/a', '--auditor', 'alice', '--signing-key', keys.key('mallory'), '--json'],
    ]) {
      const result = rigor(dir, args)
      expect(result.code, `${args[0]}: ${result.stdout}`).toBe(2)
      const error = json(result).error
      expect(error.message).toContain('shallow')
      expect(error.fix).toContain('git fetch --unshallow')
    }
    expect(execFileSync('git', ['log', '--format=%s', '-1'], {cwd: dir, encoding: 'utf8'})).not.toContain('deploy')
  })
})
