import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {SH_CRASH, SH_GARBAGE, SH_HANG, SH_OK, SH_WRONG_FIELD} from '../fixtures/runners.js'
import {actionsPerNode, commitConfig, workspace, writeSpec} from './helpers.js'

// core-cli.test.ts's failure cases, in a file of their own so that the two run side by side (together they took 90 s)
let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('rigor work and verify when runners or node files go wrong', () => {
  it('a crashing, a hanging and a garbage-writing runner each end inconclusive with the reason, and work goes on', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'bad/crash', team: 'default', run: {command: SH_CRASH}, priority: 4},
        {id: 'bad/hang', team: 'default', run: {command: SH_HANG, timeout: '1s'}, priority: 3},
        {id: 'bad/garbage', team: 'default', run: {command: SH_GARBAGE}, priority: 2},
        {id: 'bad/wrong-field', team: 'default', run: {command: SH_WRONG_FIELD}, priority: 1},
        {id: 'bad/ok', team: 'default', run: {command: SH_OK}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const work = rigor(repo.dir, ['work', '--json'])
    expect(work.code).toBe(0)
    expect(json(work).finished).toBe(5)
    const reason = (id: string) => json(rigor(repo.dir, ['show', id, '--json'])).verdict
    expect(reason('bad/crash')).toMatchObject({status: 'inconclusive', decided_by: 'failure', exit_code: 7})
    expect(reason('bad/crash').reason).toContain('exited with code 7')
    expect(readFileSync(join(repo.dir, 'experiments/bad/crash/out/run.log'), 'utf8')).toContain('boom')
    expect(reason('bad/hang').reason).toContain('timed out after 1s')
    expect(reason('bad/garbage').reason).toContain('not valid JSON')
    expect(reason('bad/wrong-field').reason).toContain('metrics.sharpe')
    expect(reason('bad/ok').status).toBe('proven_accepted')
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it('a corrupted node file is reported by verify and never claimed', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: [
        {id: 'c/target', team: 'default', run: {command: SH_OK}, params: {alpha: 0.5}},
        {id: 'c/other', team: 'default', run: {command: SH_OK}},
      ],
    })
    rigor(repo.dir, ['seed', 'spec.yaml'])
    const file = join(repo.dir, 'experiments/c/target/node.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('alpha: 0.5', 'alpha: 0.9'))

    // edited in the working tree only
    const verify = rigor(repo.dir, ['verify'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toContain('experiments/c/target/node.yaml')
    expect(verify.stdout).toContain('checksum mismatch')
    const work = json(rigor(repo.dir, ['work', '--json']))
    expect(work.finished).toBe(1)
    expect(readFileSync(file, 'utf8')).toContain('alpha: 0.9')

    // and committed by hand
    repo.git('commit', '-qam', 'hand edit')
    expect(rigor(repo.dir, ['verify']).code).toBe(1)
    const status = json(rigor(repo.dir, ['status', '--json']))
    expect(status.problems[0].file).toBe('experiments/c/target/node.yaml')
    expect(rigor(repo.dir, ['claim']).code).toBe(3)
    expect(actionsPerNode(repo, 'claim').get('c/target')).toBeUndefined()
  })
})

describe('commands and environments no process can be given', () => {
  it('a NUL byte in run.command or run.env or an env name with "=": seed exits 2 naming each field, nothing is committed', () => {
    repo = workspace()
    const head = repo.git('rev-parse', 'main')
    // as YAML writes them: "\0" in a double-quoted string is a NUL byte
    writeSpec(
      repo.dir,
      [
        'nodes:',
        '  - {id: default/fine, run: {command: ["true"]}}',
        '  - {id: default/badenv, run: {command: ["true"], env: {C: "a\\0b"}}}',
        '  - {id: default/badargv, run: {command: ["tr\\0ue"]}}',
        '  - {id: default/badname, run: {command: ["true"], env: {"A=B": "1"}}}',
        '',
      ].join('\n'),
    )
    const seed = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seed.code, seed.stderr).toBe(2)
    expect(seed.stderr).toContain('spec.yaml, field "nodes[1].run.env.C"')
    expect(seed.stderr).toContain('field "nodes[2].run.command[0]": "tr\\u0000ue" contains a NUL byte')
    expect(seed.stderr).toContain('field "nodes[3].run.env.A=B"')
    expect(repo.git('rev-parse', 'main')).toBe(head)
  })

  it('a number or true in run.command or run.env (YAML reads them so): seed exits 2 saying to quote the word', () => {
    repo = workspace()
    const head = repo.git('rev-parse', 'main')
    writeSpec(
      repo.dir,
      [
        'nodes:',
        '  - {id: default/sleep, run: {command: [sleep, 30]}}',
        '  - {id: default/yes, run: {command: [true], env: {THREADS: 4}}}',
        '',
      ].join('\n'),
    )
    const seed = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seed.code, seed.stderr).toBe(2)
    expect(seed.stderr).toContain(
      'field "nodes[0].run.command[1]": YAML read 30 as a number; a word of a command is a string: quote it ("30")',
    )
    expect(seed.stderr).toContain(
      'field "nodes[1].run.command[0]": YAML read true as a boolean; a word of a command is a string: quote it ("true")',
    )
    expect(seed.stderr).toContain(
      'field "nodes[1].run.env.THREADS": YAML read 4 as a number; an environment value is a string: quote it ("4")',
    )
    expect(repo.git('rev-parse', 'main')).toBe(head)
  })
})

describe('names a runner or a spec hands in that a message or verdict.yaml cannot carry as they are', () => {
  it('metrics named __proto__ or with a line break, NUL or other control character are left out, each listed in omitted with the reason', () => {
    repo = workspace()
    // written as raw JSON: an object literal cannot hold an own "__proto__" key
    const body = '{"metrics": {"sharpe": 1, "__proto__": 2, "a\\nb": 3, "c\\u0000d": 4, "e\\u001bf": 5}}'
    const runner = [process.execPath, '-e', `require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', ${JSON.stringify(body)})`]
    writeSpec(repo.dir, {nodes: [{id: 'm/names', team: 'default', run: {command: runner}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const verdict = json(rigor(repo.dir, ['show', 'm/names', '--json'])).verdict
    expect(verdict.status).toBe('proven_accepted')
    expect(verdict.metrics).toEqual({sharpe: 1})
    const omitted = new Map<string, string>(verdict.omitted.map((o: {path: string; reason: string}) => [o.path, o.reason]))
    expect(omitted.get('metrics.__proto__')).toContain('__proto__')
    for (const path of ['metrics.a\\nb', 'metrics.c\\u0000d', 'metrics.e\\u001bf'])
      expect(omitted.get(path), path).toContain('control character')
    const yaml = readFileSync(join(repo.dir, 'experiments/m/names/verdict.yaml'), 'utf8')
    expect(yaml).not.toMatch(/\u0000|\u001b/)
    expect(rigor(repo.dir, ['verify']).code).toBe(0)
  })

  it('metric names that would show as another (a zero-width space, a bidi mark, a BOM, a no-break space) are left out, the character named', () => {
    repo = workspace()
    const names = [
      'sharpe\u200b',
      'sharpe\u200e',
      '\ufeffsharpe',
      'sharpe\u061c',
      'shar\u00a0pe',
      'sharpe\u202e',
      'sharpe\u2066',
      'sharpe ',
    ]
    const body = JSON.stringify({metrics: {sharpe: 1, 'win rate': 0.5, ...Object.fromEntries(names.map((n, i) => [n, 5 + i]))}})
    const runner = [process.execPath, '-e', `require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', ${JSON.stringify(body)})`]
    writeSpec(repo.dir, {nodes: [{id: 'm/lookalike', team: 'default', run: {command: runner}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work']).code).toBe(0)
    const verdict = json(rigor(repo.dir, ['show', 'm/lookalike', '--json'])).verdict
    expect(verdict.metrics).toEqual({sharpe: 1, 'win rate': 0.5})
    const reasons = verdict.omitted.map((o: {path: string; reason: string}) => o.reason).join('\n')
    for (const code of ['U+200B', 'U+200E', 'U+FEFF', 'U+061C', 'U+00A0', 'U+202E', 'U+2066']) expect(reasons).toContain(code)
    expect(reasons).toContain('starts or ends with a space')
    // the listed paths show the character, never as nothing
    expect(verdict.omitted.map((o: {path: string}) => o.path)).toContain('metrics.sharpe\\u{200b}')
  })

  it('a branch: whose name holds a zero-width space is refused: it would read as the branch it is not', () => {
    repo = workspace()
    commitConfig(repo, {branch: 'main\u200b'})
    const status = rigor(repo.dir, ['status', '--json'])
    expect(status.code).toBe(2)
    expect(json(status).error.message).toContain('holds U+200B, an invisible or format character')
  })

  it('a team name with a line break is refused, quoted in the message, never a line of its own', () => {
    repo = workspace()
    commitConfig(repo, {})
    writeSpec(repo.dir, {nodes: [{id: 'x/one', team: 'default\nRigor-Verdict: PASS', run: {command: ['true']}}]})
    const seed = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(seed.code).toBe(2)
    expect(seed.stderr).toContain('field "nodes[0].team": team name "default\\nRigor-Verdict: PASS" must be lowercase letters')
    expect(seed.stderr.split('\n').some((line) => line.startsWith('Rigor-Verdict'))).toBe(false)
  })

  it('a repository whose path holds a line break is exit 2 saying so, not an unknown object format', () => {
    repo = gitRepo({init: false})
    const dir = join(repo.dir, 'research\nnotes')
    mkdirSync(dir)
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir})
    for (const args of [
      ['status', '--json'],
      ['init', '--json'],
    ]) {
      const result = rigor(dir, args)
      expect(result.code).toBe(2)
      expect(json(result).error.message).toBe(
        `the path of the repository at "${repo.dir}/research\\nnotes" holds a line break: git's answers about it cannot be read`,
      )
    }
    expect(readdirSync(dir)).toEqual(['.git'])
  })

  it('a seed spec whose file name holds a carriage return or an escape is seeded, the name escaped in the subject', () => {
    repo = workspace()
    const name = 'spec\r\u001b[31m\nRigor-Action: deploy.yaml'
    writeSpec(repo.dir, {nodes: [{id: 'x/one', team: 'default', run: {command: ['true']}}]}, name)
    const seed = rigor(repo.dir, ['seed', name, '--json'])
    expect(seed.code, seed.stderr).toBe(0)
    expect(json(seed).added).toEqual(['x/one'])
    const message = repo.git('log', '-1', '--format=%B')
    expect(message.split('\n')[0]).toBe('rigor: seed 1 node(s) from spec\\r\\u001b[31m\\nRigor-Action: deploy.yaml')
    expect(message).not.toMatch(/^Rigor-Action: deploy$/m)
  })
})
