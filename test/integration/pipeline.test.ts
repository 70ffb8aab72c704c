import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import {alive, SLOW, waitFor} from '../helpers/processes.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {committed as committedAt, ok as runOk, pipelineWorkspace, sha256} from './pipeline-helpers.js'
import {writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const ok = (args: string[]) => runOk(repo.dir, args)
const committed = (path: string) => committedAt(repo.dir, path)

/** big/train's runner: a 20,000-byte out/weights.bin, over the 4 KB file_size the tests set, and an accepted verdict */
const BIG_TRAIN = [
  process.execPath,
  '-e',
  "const fs=require('fs');fs.writeFileSync(process.env.RIGOR_OUT+'/weights.bin',Buffer.alloc(20000,7));fs.writeFileSync(process.env.RIGOR_OUT+'/verdict.json','{\"metrics\":{\"train_rows\":300}}')",
]

describe('stage inputs', () => {
  it('the template pipeline: train -> backtest -> assess, each stage reading its upstream from git, with the sha256 recorded', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    // train alone first; then an uncommitted edit of its model in the working tree must not reach backtest
    ok(['run', 'momentum/train'])
    const model = join(repo.dir, 'experiments/momentum/train/out/model.json')
    const trained = readFileSync(model)
    writeFileSync(model, '{"kind": "momentum", "lookback": 99999, "train_until": "1900-01-01"}')
    ok(['work', '--parallel', '4'])
    const status = json(ok(['status', '--json']))
    expect(status.by_status.proven_accepted).toBe(3)
    expect(status.stale).toEqual([])

    const backtest = json(ok(['show', 'momentum/backtest', '--json']))
    expect(backtest.requires).toEqual(['momentum/train'])
    expect(backtest.inputs).toEqual([{from: 'momentum/train', files: ['model.json'], as: 'model'}])
    expect(backtest.read_by).toEqual(['momentum/assess'])
    const [input] = backtest.verdict.inputs
    expect(input).toMatchObject({as: 'model', from: 'momentum/train', files: [{path: 'model.json', sha256: sha256(trained)}]})
    expect(repo.git('log', '-1', '--format=%H', 'main', '--', 'experiments/momentum/train/verdict.yaml')).toBe(input.commit)
    expect(backtest.verdict.metrics.lookback).toBe(JSON.parse(trained.toString()).lookback)
    expect(backtest.verdict.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/)
    const assess = json(ok(['show', 'momentum/assess', '--json']))
    expect(assess.verdict.inputs[0].files[0].sha256).toBe(sha256(committed('experiments/momentum/backtest/out/returns.csv')))
    expect(typeof assess.verdict.metrics.psr).toBe('number')

    const graph = ok(['graph']).stdout
    expect(graph).toMatch(/n_momentum_strain ==>\|"model"\| n_momentum_sbacktest/)
    expect(graph).toMatch(/n_momentum_sbacktest ==>\|"returns"\| n_momentum_sassess/)
    expect(ok(['verify']).stdout).toContain('ok:')
  })

  it('refuses bad inputs with exit 2 naming the field, and writes nothing', () => {
    repo = pipelineWorkspace()
    const head = repo.git('rev-parse', 'main')
    const cases: Array<[unknown, RegExp]> = [
      [{from: '../../../x', files: ['a'], as: 'a'}, /inputs\[0\]\.from/],
      [{from: '../train', files: ['../secret'], as: 'a'}, /inputs\.0\.files\.0|inputs\[0\]\.files/],
      [{from: '../train', files: ['/etc/passwd'], as: 'a'}, /absolute/],
      [{from: '../train', files: ['a'], as: 'Model'}, /RIGOR_INPUT_/],
      [{from: '../nowhere', files: ['a'], as: 'a'}, /momentum\/nowhere/],
    ]
    for (const [input, message] of cases) {
      writeSpec(repo.dir, {
        nodes: [
          {id: 'momentum/train', team: 'train', run: {command: ['true']}},
          {id: 'momentum/backtest', team: 'backtest', run: {command: ['true']}, inputs: [input]},
        ],
      })
      const seeded = rigor(repo.dir, ['seed', 'spec.yaml'])
      expect(seeded.code, `${JSON.stringify(input)}: ${seeded.stderr}`).toBe(2)
      expect(seeded.stderr).toMatch(message)
    }
    writeSpec(repo.dir, {
      nodes: [
        {id: 'momentum/train', team: 'train', run: {command: ['true']}},
        {
          id: 'momentum/backtest',
          team: 'backtest',
          run: {command: ['true']},
          inputs: [
            {from: '../train', files: ['a'], as: 'a'},
            {from: '../train', files: ['b'], as: 'a'},
          ],
        },
      ],
    })
    const twice = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toMatch(/used twice/)
    expect(repo.git('rev-parse', 'main')).toBe(head)
  })

  it('refuses an input or a requirement on a sweep group, which never runs, instead of seeding a node that waits forever', () => {
    repo = pipelineWorkspace()
    const sweep = {id: 'momentum/train', team: 'train', run: {command: ['true']}, grid: {lookback: [10, 20]}}
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{inputs: [{from: '../train', files: ['model.json'], as: 'model'}]}, /momentum\/backtest\.inputs\[0\]\.from/],
      [{requires: ['momentum/train']}, /momentum\/backtest\.requires/],
    ]
    for (const [extra, field] of cases) {
      const head = repo.git('rev-parse', 'main')
      // in the same spec
      writeSpec(repo.dir, {sweeps: [sweep], nodes: [{id: 'momentum/backtest', team: 'backtest', run: {command: ['true']}, ...extra}]})
      const together = rigor(repo.dir, ['seed', 'spec.yaml'])
      expect(together.code, together.stderr).toBe(2)
      expect(together.stderr).toMatch(/momentum\/train is a sweep group/)
      expect(together.stderr).toMatch(field)
      expect(together.stderr).toMatch(/momentum\/train\/lookback-10/)
      expect(repo.git('rev-parse', 'main')).toBe(head)
    }
    // already in the DAG
    writeSpec(repo.dir, {sweeps: [sweep]})
    ok(['seed', 'spec.yaml'])
    const head = repo.git('rev-parse', 'main')
    writeSpec(repo.dir, {
      nodes: [{id: 'momentum/backtest', team: 'backtest', run: {command: ['true']}, inputs: [{from: '../train', files: ['m'], as: 'm'}]}],
    })
    const later = rigor(repo.dir, ['seed', 'spec.yaml'])
    expect(later.code, later.stderr).toBe(2)
    expect(later.stderr).toMatch(/momentum\/train is a sweep group/)
    expect(repo.git('rev-parse', 'main')).toBe(head)
    // a variant is a node like any other
    writeSpec(repo.dir, {
      nodes: [
        {
          id: 'momentum/backtest',
          team: 'backtest',
          run: {command: ['true']},
          inputs: [{from: '../train/lookback-10', files: ['m'], as: 'm'}],
        },
      ],
    })
    ok(['seed', 'spec.yaml'])
  })

  it('rigor run of a stage whose upstream is not accepted yet refuses, naming the upstream, and runs nothing', () => {
    repo = pipelineWorkspace()
    ok(['seed', 'templates/pipeline.seed.yaml'])
    const early = rigor(repo.dir, ['run', 'momentum/backtest'])
    expect(early.code).toBe(1)
    expect(early.stderr).toMatch(/waiting for momentum\/train \(pending\)/)
    expect(json(ok(['show', 'momentum/backtest', '--json'])).status).toBe('pending')
  })

  it('a pattern that matches nothing ends the run inconclusive without starting it', () => {
    repo = pipelineWorkspace()
    const spec = parse(readFileSync(join(repo.dir, 'templates/pipeline.seed.yaml'), 'utf8'))
    spec.nodes[1].inputs[0].files = ['weights.bin']
    writeSpec(repo.dir, spec)
    ok(['seed', 'spec.yaml'])
    ok(['work'])
    const shown = json(ok(['show', 'momentum/backtest', '--json']))
    expect(shown.status).toBe('inconclusive')
    expect(shown.reason).toMatch(/no file of momentum\/train's out\/ matches weights\.bin/)
  })

  it('a pattern that matches only files the upstream run left out of git says so, and how to keep them', () => {
    repo = pipelineWorkspace()
    const config = parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8'))
    config.runner = {limits: {file_size: '4KB'}}
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    repo.git('commit', '-qam', 'small files only, no artifact store')
    writeSpec(repo.dir, {
      nodes: [
        {id: 'big/train', team: 'train', run: {command: BIG_TRAIN}},
        {id: 'big/use', team: 'backtest', run: {command: ['true']}, inputs: [{from: '../train', files: ['*.bin'], as: 'weights'}]},
      ],
    })
    ok(['seed', 'spec.yaml'])
    ok(['work'])
    const use = json(ok(['show', 'big/use', '--json']))
    expect(use.status).toBe('inconclusive')
    expect(use.reason).toMatch(/out\/weights\.bin was left out of git by big\/train's run \(larger than the limit of 4096 bytes/)
    expect(use.reason).toMatch(/artifact_store/)
  })
})

/**
 * The pipeline workspace with an artifact store over .git/test-store (inside .git: hidden from a sandboxed runner,
 * as a store's directory often is) for outputs over 4 KB, and a spec of big/train, which writes a 20,000-byte
 * weights.bin, and big/use, which reads it as an input and runs `use`. `put` and `get` are the store's code for
 * each verb (`dir`, `sha` and `file` in scope). Returns the store's directory.
 */
function storeWorkspace(store: {put: string; get: string; message: string}, use: string[]): string {
  repo = pipelineWorkspace()
  const storeDir = join(repo.dir, '.git', 'test-store')
  mkdirSync(storeDir)
  const code = [
    "const fs=require('fs'),path=require('path');",
    `const dir=${JSON.stringify(storeDir)};`,
    'const [verb,sha,file]=process.argv.slice(1);',
    `if(verb==='put'){${store.put}}`,
    `else if(verb==='get'){${store.get}}`,
    'else process.exit(2);',
  ].join('')
  const config = parse(readFileSync(join(repo.dir, 'rigor.yaml'), 'utf8'))
  config.artifact_store = {command: [process.execPath, '-e', code]}
  config.runner = {limits: {file_size: '4KB'}}
  writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
  repo.git('commit', '-qam', store.message)
  writeSpec(repo.dir, {
    nodes: [
      {id: 'big/train', team: 'train', run: {command: BIG_TRAIN}},
      {id: 'big/use', team: 'backtest', run: {command: use}, inputs: [{from: '../train', files: ['*.bin'], as: 'weights'}]},
    ],
  })
  ok(['seed', 'spec.yaml'])
  return storeDir
}

describe('the artifact store', () => {
  it('keeps an output over file_size out of git by its sha256, and hands it to the downstream through get', () => {
    // a content-addressed store in a directory: put copies in, get copies out
    const read = [
      process.execPath,
      '-e',
      "const fs=require('fs');const b=fs.readFileSync(process.env.RIGOR_INPUT_WEIGHTS);fs.writeFileSync(process.env.RIGOR_OUT+'/verdict.json',JSON.stringify({metrics:{trades:b.length,days:100,psr:1}}))",
    ]
    storeWorkspace(
      {put: 'fs.copyFileSync(file,path.join(dir,sha))', get: 'fs.copyFileSync(path.join(dir,sha),file)', message: 'an artifact store'},
      read,
    )
    ok(['work'])
    const train = json(ok(['show', 'big/train', '--json']))
    const expected = sha256(Buffer.alloc(20000, 7))
    expect(train.verdict.stored).toEqual([{path: 'out/weights.bin', sha256: expected, bytes: 20000}])
    expect(train.verdict.omitted ?? []).toEqual([])
    expect(repo.git('ls-tree', '-r', '--name-only', 'main', 'experiments/big/train/out')).not.toContain('weights.bin')
    const use = json(ok(['show', 'big/use', '--json']))
    expect(use.status, use.reason).toBe('proven_accepted')
    expect(use.verdict.metrics.trades).toBe(20000)
    expect(use.verdict.inputs[0].files).toEqual([{path: 'weights.bin', sha256: expected, bytes: 20000, stored: true}])
  })

  it('a store whose get links to its own file: the run reads a copy of its own, and the store’s file is left as it was', () => {
    const read = [
      process.execPath,
      '-e',
      "const fs=require('fs');const p=process.env.RIGOR_INPUT_WEIGHTS;const b=fs.readFileSync(p);fs.writeFileSync(process.env.RIGOR_OUT+'/verdict.json',JSON.stringify({metrics:{trades:b.length,days:100,psr:fs.lstatSync(p).isSymbolicLink()?0:1}}))",
    ]
    const storeDir = storeWorkspace(
      {
        put: 'fs.copyFileSync(file,path.join(dir,sha));fs.chmodSync(path.join(dir,sha),0o640)',
        get: 'fs.symlinkSync(path.join(dir,sha),file)',
        message: 'a store that links',
      },
      read,
    )
    ok(['work'])
    const use = json(ok(['show', 'big/use', '--json']))
    expect(use.status, use.reason).toBe('proven_accepted')
    expect(use.verdict.metrics).toMatchObject({trades: 20000, psr: 1})
    const object = join(storeDir, sha256(Buffer.alloc(20000, 7)))
    expect(statSync(object).mode & 0o777).toBe(0o640)
  })

  it(
    'SIGTERM while a store fetches an input stops the fetch and puts the claim back, without waiting for it',
    async () => {
      // a slow get: it says its pid when it starts, and that it finished when it did
      const storeDir = storeWorkspace(
        {
          put: 'fs.copyFileSync(file,path.join(dir,sha))',
          get: "fs.writeFileSync(path.join(dir,'..','get-started'),String(process.pid));setTimeout(()=>{fs.writeFileSync(path.join(dir,'..','get-finished'),'');fs.copyFileSync(path.join(dir,sha),file)},20000)",
          message: 'a slow store',
        },
        ['true'],
      )
      const started = join(storeDir, '..', 'get-started')
      const finished = join(storeDir, '..', 'get-finished')
      ok(['run', 'big/train'])
      const work = rigorAsync(repo.dir, ['work'])
      await waitFor('the store to start its get', () => existsSync(started) && readFileSync(started, 'utf8').length > 0)
      const getPid = Number(readFileSync(started, 'utf8'))
      work.kill('SIGTERM')
      const result = await work
      expect(result.code, result.stderr).toBe(143)
      expect(existsSync(finished)).toBe(false)
      expect(alive(getPid)).toBe(false)
      const use = json(ok(['show', 'big/use', '--json']))
      expect(use.status).toBe('pending')
      expect(use.verdict ?? null).toBeNull()
    },
    SLOW,
  )
})
