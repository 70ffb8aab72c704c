import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {SH_ENV, SH_OK} from '../fixtures/runners.js'
import {actionsPerNode, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor init / seed / work / status / show / log / verify', () => {
  it('init in a repository with no commit yet keeps what the user staged: on disk and in the index', () => {
    repo = gitRepo()
    mkdirSync(join(repo.dir, 'experiments'))
    writeFileSync(join(repo.dir, 'mine.txt'), 'staged, never committed\n')
    writeFileSync(join(repo.dir, 'experiments', 'notes.md'), 'also staged\n')
    repo.git('add', 'mine.txt', 'experiments/notes.md')
    writeFileSync(join(repo.dir, 'mine.txt'), 'staged, then edited\n')
    const init = rigor(repo.dir, ['init'])
    expect(init.code, init.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, 'mine.txt'), 'utf8')).toBe('staged, then edited\n')
    expect(readFileSync(join(repo.dir, 'experiments', 'notes.md'), 'utf8')).toBe('also staged\n')
    expect(repo.git('status', '--porcelain')).toBe('A  experiments/notes.md\nAM mine.txt')
    expect(repo.git('show', '--name-only', '--format=', 'HEAD')).not.toContain('mine.txt')
  })

  it('runs the basic cycle and writes checksummed files with trailers', () => {
    repo = workspace()
    expect(existsSync(join(repo.dir, 'rigor.yaml'))).toBe(true)
    for (const d of ['experiments', 'audits', 'handoffs', 'templates', 'reports', 'deployments'])
      expect(existsSync(join(repo.dir, d))).toBe(true)
    expect(repo.git('log', '--format=%B', '-1')).toContain('Rigor-Action: init')

    writeSpec(repo.dir, {
      nodes: [
        {id: 'loss/sharpe-pf', team: 'default', run: {command: SH_ENV, timeout: '1m'}, params: {alpha: 0.5}, priority: 5},
        {id: 'loss/second', team: 'default', run: {command: SH_OK}},
      ],
    })
    const seeded = json(rigor(repo.dir, ['seed', 'spec.yaml', '--json']))
    expect(seeded.added).toEqual(['loss/sharpe-pf', 'loss/second'])
    expect(json(rigor(repo.dir, ['seed', 'spec.yaml', '--json'])).added).toEqual([])
    expect(repo.git('status', '--porcelain')).toBe('?? spec.yaml')

    const status0 = json(rigor(repo.dir, ['status', '--json']))
    expect(status0.total).toBe(2)
    expect(status0.by_status.pending).toBe(2)
    expect(status0.by_team.default.pending).toBe(2)

    const work = rigor(repo.dir, ['work', '--worker', 'w1', '--json'])
    expect(work.code).toBe(0)
    expect(json(work)).toMatchObject({claimed: 2, finished: 2, stopped_because: 'empty'})

    const status = json(rigor(repo.dir, ['status', '--json']))
    expect(status.by_status.proven_accepted).toBe(2)

    const shown = json(rigor(repo.dir, ['show', 'loss/sharpe-pf', '--json']))
    expect(shown.status).toBe('proven_accepted')
    expect(shown.verdict.metrics.sharpe).toBe(0.5)
    expect(shown.verdict.artifacts['out/env.txt']).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(shown.audits).toEqual([])

    // the protocol's environment, as the runner saw it
    const env = readFileSync(join(repo.dir, 'experiments/loss/sharpe-pf/out/env.txt'), 'utf8')
    expect(env).toContain('RIGOR_NODE_ID=loss/sharpe-pf')
    expect(env).toContain('RIGOR_PARAMS={"alpha":0.5}')
    expect(env).toContain('RIGOR_SEED=0')
    expect(env).toMatch(/RIGOR_OUT=\//)
    expect(env).toContain(`RIGOR_WORKSPACE=${repo.dir}`)
    // priority 5 ran first
    const claims = repo.git('log', '--reverse', '--format=%s', '--grep=Rigor-Action: claim').split('\n')
    expect(claims[0]).toBe('rigor: claim loss/sharpe-pf')

    const verdict = parse(readFileSync(join(repo.dir, 'experiments/loss/sharpe-pf/verdict.yaml'), 'utf8'))
    expect(verdict.checksum).toMatch(/^sha256:/)
    const log = rigor(repo.dir, ['log', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    // a slot claims its next node while the previous verdict commits, so claims and verdicts interleave
    expect(log.map((e) => e.action).sort()).toEqual(['claim', 'claim', 'init', 'seed', 'verdict', 'verdict'])
    expect(log.slice(-2).map((e) => e.action)).toEqual(['seed', 'init'])
    expect(log[0].worker).toBe('w1')
    expect(actionsPerNode(repo, 'claim').get('loss/second')).toBe(1)

    expect(rigor(repo.dir, ['verify']).code).toBe(0)
    expect(repo.git('status', '--porcelain')).toBe('?? spec.yaml')
  })

  it('--cwd DIR runs a command as if typed in DIR: the paths on its command line start there too', () => {
    repo = workspace()
    mkdirSync(join(repo.dir, 'specs'))
    writeFileSync(join(repo.dir, 'specs', 'one.yaml'), stringify({nodes: [{id: 'x/one', team: 'default', run: {command: SH_OK}}]}))
    // typed in the folder above the workspace
    const above = join(repo.dir, '..')
    const seeded = rigor(above, ['seed', 'specs/one.yaml', '--cwd', repo.dir])
    expect(seeded.code, seeded.stderr).toBe(0)
    expect(json(rigor(repo.dir, ['status', '--json'])).total).toBe(1)
    const site = rigor(above, ['site', '--out', 'built-site', '--cwd', repo.dir, '--json'])
    expect(site.code, site.stderr).toBe(0)
    expect(existsSync(join(repo.dir, 'built-site', 'index.html'))).toBe(true)
    expect(existsSync(join(above, 'built-site'))).toBe(false)
  })

  it('claim prints the id, and exits 3 with the reason when nothing is claimable', () => {
    repo = workspace()
    const empty = rigor(repo.dir, ['claim', '--json'])
    expect(empty.code).toBe(3)
    expect(json(empty).error.message).toContain('empty')
    // the reason on its own, for a script or an agent to branch on without reading the message
    expect(json(empty).error.reason).toBe('empty')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'a/one', team: 'default', run: {command: SH_OK}},
        {id: 'a/two', team: 'default', run: {command: SH_OK}, requires: ['a/one']},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const claim = rigor(repo.dir, ['claim', '--worker', 'w9'])
    expect(claim.code).toBe(0)
    expect(claim.stdout.trim()).toBe('a/one')
    const blocked = rigor(repo.dir, ['claim'])
    expect(blocked.code).toBe(3)
    expect(blocked.stderr).toContain('blocked')
    expect(json(rigor(repo.dir, ['claim', '--json'])).error).toMatchObject({exit: 3, reason: 'blocked'})
    // run finishes the claimed node; then the dependent becomes claimable
    expect(rigor(repo.dir, ['run', 'a/one']).code).toBe(0)
    expect(json(rigor(repo.dir, ['claim', '--json'])).claimed.id).toBe('a/two')
    // a finished node runs again through rerun, which the refusal names
    const again = rigor(repo.dir, ['run', 'a/one'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('node a/one is proven_accepted')
    expect(again.stderr).toContain('rigor rerun a/one')
  })

  it('bad input exits 2 naming the file and the field, and writes nothing', () => {
    repo = workspace()
    const head = repo.git('rev-parse', 'HEAD')
    writeSpec(repo.dir, 'nodes:\n  - id: a/b\n    run: {command: [x]\n', 'broken.yaml')
    const broken = rigor(repo.dir, ['seed', 'broken.yaml'])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain('broken.yaml')

    // a reason is one line of at most 1,000 characters, on every command that records one
    for (const args of [
      ['rerun', 'a/b', '--reason', 'x'.repeat(1001)],
      ['cancel', 'a/b', '--reason', 'wrong data\nRigor-Action: deploy'],
      ['deploy', 'a/b', '--rollback', '--reason', 'x'.repeat(1001)],
    ]) {
      const refused = rigor(repo.dir, [...args, '--json'])
      expect(refused.code, args[0]).toBe(2)
      expect(json(refused).error.message, args[0]).toMatch(/^field "--reason": /)
    }
    expect(repo.git('rev-parse', 'HEAD')).toBe(head)

    writeSpec(repo.dir, {nodes: [{id: 'a/b', team: 'default', run: {command: SH_OK}, priorty: 3}]}, 'typo.yaml')
    const typo = rigor(repo.dir, ['seed', 'typo.yaml'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('typo.yaml')
    expect(typo.stderr).toContain('nodes[0].priorty')

    for (const bad of ['../escape', '/abs/path', 'Upper/case', 'has space', 'a//b']) {
      writeSpec(repo.dir, {nodes: [{id: bad, team: 'default', run: {command: SH_OK}}]}, 'id.yaml')
      const result = rigor(repo.dir, ['seed', 'id.yaml'])
      expect(result.code, bad).toBe(2)
      expect(result.stderr).toContain('nodes[0].id')
    }
    expect(rigor(repo.dir, ['work', '--parallel', 'x']).code).toBe(2)
    expect(repo.git('rev-parse', 'HEAD')).toBe(head)
  })

  it('a param JSON cannot hold (.nan, .inf) exits 2 naming the file and the field, and writes nothing', () => {
    repo = workspace()
    const head = repo.git('rev-parse', 'HEAD')
    for (const [value, field, shown] of [
      ['.nan', 'nodes[0].params.x', '.nan'],
      ['.inf', 'nodes[0].params.x', '.inf'],
      ['{y: [1, -.inf]}', 'nodes[0].params.x.y[1]', '-.inf'],
    ] as const) {
      writeSpec(repo.dir, `nodes:\n  - id: default/a\n    run: {command: ["true"]}\n    params: {x: ${value}}\n`, 'nan.yaml')
      const result = rigor(repo.dir, ['seed', 'nan.yaml'])
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toContain(`nan.yaml, field "${field}": ${shown} is not a finite number`)
      expect(result.stderr).toContain('Fix:')
    }
    expect(repo.git('rev-parse', 'HEAD')).toBe(head)
  })

  it("an input from a node neither in the spec nor in the DAG exits 2 naming the input's from, not requires", () => {
    repo = workspace()
    const head = repo.git('rev-parse', 'HEAD')
    const input = {from: 'x/nothere', files: ['m.json'], as: 'm'}
    writeSpec(repo.dir, {nodes: [{id: 'x/b', team: 'default', run: {command: ['true']}, inputs: [input]}]}, 'inputs.yaml')
    const missing = rigor(repo.dir, ['seed', 'inputs.yaml'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('inputs.yaml, field "x/b.inputs[0].from": input 0 of x/b reads from x/nothere')
    expect(missing.stderr).toContain("correct the input's from")
    expect(missing.stderr).not.toContain('requires')
    expect(repo.git('rev-parse', 'HEAD')).toBe(head)
  })

  it('a node file with invalid YAML or a wrong field is an exit-2 error naming the file and the field', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [{id: 'x/y', team: 'default', run: {command: SH_OK}}]})
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const file = join(repo.dir, 'experiments/x/y/node.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('priority: 0', 'priority: "high"'))
    repo.git('commit', '-qam', 'hand edit')
    const show = rigor(repo.dir, ['show', 'x/y'])
    expect(show.code).toBe(1) // checksum first: the edit changed a value
    writeFileSync(file, 'id: x/y\nstatus: [unclosed\n')
    repo.git('commit', '-qam', 'broken yaml')
    const broken = rigor(repo.dir, ['show', 'x/y'])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain('experiments/x/y/node.yaml')
    const verify = rigor(repo.dir, ['verify', '--json'])
    expect(verify.code).toBe(1)
    expect(json(verify).problems[0]).toMatchObject({file: 'experiments/x/y/node.yaml', kind: 'invalid'})
  })
})
