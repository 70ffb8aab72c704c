import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {withChecksum} from '../../src/core/state/checksum.js'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {ok, pipelineWorkspace, sha256} from './pipeline-helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('auditing a pipeline’s backtest', () => {
  it('the template’s honest out-of-sample backtest is not flagged: its accounting checks, its truncated copies run, its train stage is no competing trial', () => {
    repo = pipelineWorkspace()
    ok(repo.dir, ['seed', 'templates/pipeline.seed.yaml'])
    ok(repo.dir, ['work', '--parallel', '2'])
    // the audit's verdict may be FAIL on the DSR (a weak edge is not proven), never on a check that calls it a cheat
    const audit = json(ok(repo.dir, ['audit', 'momentum/backtest', '--auditor', 'risk', '--json']))
    const result = (name: string) => audit.checks.find((c: {name: string}) => c.name === name)
    // the record starts out of sample: the first return's cost is the change from the position two rows back
    expect(result('accounting.consistency').result).toBe('pass')
    expect(result('robustness.costs').result).toBe('pass')
    // the 60% cut ends inside the training window: the backtest trades nothing there, and runs
    expect(result('lookahead.truncation').result).toBe('pass')
    expect(result('leakage.permutation').result).toBe('pass')
    const dsr = result('overfitting.dsr')
    expect(dsr.figures.trials).toBe(1)
    expect(audit.family.counted).toContain('not counted, stages of its own pipeline: momentum/train')
    expect(audit.issues.filter((i: {category: string}) => ['lookahead', 'leakage'].includes(i.category))).toEqual([])
    // the inputs its re-runs read were staged in the audit's private directory, gone with it: nothing piles up in .git
    const scratch = (kind: string) =>
      existsSync(join(repo.dir, '.git/rigor', kind)) ? readdirSync(join(repo.dir, '.git/rigor', kind)) : []
    expect(scratch('inputs')).toEqual([])
    expect(scratch('audit')).toEqual([])
  })

  it('a backtest whose returns went to the artifact store is audited on the store’s bytes', () => {
    repo = pipelineWorkspace()
    const store = join(repo.dir, '.git', 'store')
    mkdirSync(store)
    mkdirSync(join(repo.dir, 'bin'))
    writeFileSync(
      join(repo.dir, 'bin', 'store'),
      `#!/bin/sh\ncase "$1" in put) cp "$3" "${store}/$2" ;; get) cp "${store}/$2" "$3" ;; esac\n`,
    )
    chmodSync(join(repo.dir, 'bin', 'store'), 0o755)
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    writeFileSync(
      join(repo.dir, 'rigor.yaml'),
      `${config}\nartifact_store:\n  command: [./bin/store]\nrunner:\n  limits: {file_size: 4KB}\n`,
    )
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'a store')
    ok(repo.dir, ['seed', 'templates/pipeline.seed.yaml'])
    ok(repo.dir, ['work', '--parallel', '2'])
    const verdict = json(ok(repo.dir, ['show', 'momentum/backtest', '--json'])).verdict
    expect(verdict.stored.map((s: {path: string}) => s.path)).toContain('out/returns.csv')
    const audit = json(ok(repo.dir, ['audit', 'momentum/backtest', '--auditor', 'risk', '--json']))
    expect(audit.checks.find((c: {name: string}) => c.name === 'accounting.consistency').result).toBe('pass')
    // the store lost the bytes: the audit says so, and what to do
    writeFileSync(join(repo.dir, 'bin', 'store'), '#!/bin/sh\nexit 1\n')
    repo.git('commit', '-qam', 'a broken store')
    const broken = rigor(repo.dir, ['audit', 'momentum/backtest', '--auditor', 'risk2'])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain('cannot fetch out/returns.csv of momentum/backtest from the artifact store')
  })

  it('a verdict committed by hand whose inputs lead out of the audit’s directory is refused, and nothing is written there', () => {
    repo = pipelineWorkspace()
    mkdirSync(join(repo.dir, 'bin'))
    // a store that hands back whatever it is asked for: the bytes a forged record names
    writeFileSync(join(repo.dir, 'bin', 'store'), '#!/bin/sh\n[ "$1" = get ] && printf forged > "$3"\nexit 0\n')
    chmodSync(join(repo.dir, 'bin', 'store'), 0o755)
    const config = readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8')
    writeFileSync(join(repo.dir, 'rigor.yaml'), `${config}\nartifact_store:\n  command: [./bin/store]\n`)
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'a store')
    ok(repo.dir, ['seed', 'templates/pipeline.seed.yaml'])
    ok(repo.dir, ['work', '--parallel', '2'])
    const file = 'experiments/momentum/backtest/verdict.yaml'
    const {checksum: _old, ...verdict} = parse(readFileSync(join(repo.dir, file), 'utf8'))
    const outside = join(repo.dir, 'escaped.txt')
    verdict.inputs[0].files = [{path: `${'../'.repeat(30)}${outside.slice(1)}`, sha256: sha256('forged'), bytes: 6, stored: true}]
    writeFileSync(join(repo.dir, file), stringify(withChecksum(verdict)))
    repo.git('commit', '-qam', 'a hand-made verdict')
    const audit = rigor(repo.dir, ['audit', 'momentum/backtest', '--auditor', 'risk'])
    expect(audit.code).not.toBe(0)
    expect(existsSync(outside)).toBe(false)
    const verify = json(rigor(repo.dir, ['verify', '--json']))
    expect(verify.problems).toContainEqual(
      expect.objectContaining({file, kind: 'invalid', message: expect.stringMatching(/"\." or "\.\." step/)}),
    )
  })
})
