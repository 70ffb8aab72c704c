import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {COMMAND_RESULTS} from '../../src/cli/schemas/results.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {commitAuditReport} from './audit-commit.js'
import {workspace, writeSpec} from './helpers.js'
import {KIT_COMMANDS, OutputChecker, ROOT} from './json-output-helpers.js'

/**
 * Every command's --json output checked against the committed schema in
 * schemas/output/ (generated from src/cli/schemas/results.ts): a command whose
 * result changes fails here until the schema is regenerated, so the change
 * shows in review as a diff of the schema file.
 */

const SYNTH_A = join(ROOT, 'data/SYNTH-A.csv')
const ID = 'mom/base'
const output = new OutputChecker()
const checked = output.checked.bind(output)

let repo: TempRepo
let scratch: string
afterAll(() => {
  repo?.cleanup()
  if (scratch) rmSync(scratch, {recursive: true, force: true})
})

describe('--json output matches schemas/output/', {timeout: 300_000}, () => {
  beforeAll(() => {
    repo = workspace()
    // files outside the workspace: a second workspace, the paper run's new prices
    scratch = mkdtempSync(join(tmpdir(), 'rigor-json-'))
    const lines = readFileSync(SYNTH_A, 'utf8').trimEnd().split('\n')
    mkdirSync(join(repo.dir, 'data'))
    writeFileSync(join(repo.dir, 'data/prices.csv'), `${lines.slice(0, 1201).join('\n')}\n`)
    writeFileSync(join(scratch, 'new-prices.csv'), `${[lines[0], ...lines.slice(1201, 1241)].join('\n')}\n`)
    const config = {
      version: 1,
      teams: [{name: 'default'}],
      gates: [{name: 'always', accept_when: 'true'}],
      deploy: {paper: {command: [process.execPath, '-e', '0']}},
    }
    writeFileSync(join(repo.dir, 'rigor.yaml'), stringify(config))
    repo.git('add', 'rigor.yaml', 'data/prices.csv')
    repo.git('commit', '-qm', 'config and prices')
  })

  it('init, seed, claim, run, work', () => {
    const other = join(scratch, 'other')
    checked('init', scratch, ['init', other])
    const backtest = (strategy: string) => ({command: ['rigor', 'backtest', '--strategy', strategy]})
    writeSpec(repo.dir, {
      nodes: [
        {id: ID, team: 'default', run: backtest('momentum'), data: 'data/prices.csv'},
        {id: 'mom/claimed', team: 'default', run: backtest('momentum'), data: 'data/prices.csv', params: {lookback: 40}, priority: 9},
        {
          id: 'mom/cancelled',
          team: 'default',
          run: backtest('momentum'),
          data: 'data/prices.csv',
          params: {lookback: 80},
          requires: ['mom/claimed'],
        },
      ],
    })
    checked('seed', repo.dir, ['seed', 'spec.yaml'])
    const claim = checked('claim', repo.dir, ['claim', '--worker', 'w1'])
    expect(claim.claimed.id).toBe('mom/claimed')
    checked('run', repo.dir, ['run', 'mom/claimed'])
    checked('cancel', repo.dir, ['cancel', 'mom/cancelled'])
    checked('rerun', repo.dir, ['rerun', 'mom/cancelled'])
    checked('work', repo.dir, ['work'])
  })

  it('status, show, log, graph, verify, rules, supervise, health, metrics', () => {
    checked('status', repo.dir, ['status'])
    checked('show', repo.dir, ['show', ID])
    checked('log', repo.dir, ['log'])
    checked('graph', repo.dir, ['graph'])
    checked('verify', repo.dir, ['verify'])
    checked('verify', repo.dir, ['verify', '--signatures'])
    checked('rules check', repo.dir, ['rules', 'check'])
    checked('rules replay', repo.dir, ['rules', 'replay'])
    checked('supervise', repo.dir, ['supervise', '--once'])
    checked('health', repo.dir, ['health'])
    checked('metrics', repo.dir, ['metrics'])
  })

  it('rank, report, audit, deploy, paper', async () => {
    checked('rank', repo.dir, ['rank', '--objective', 'sharpe'])
    checked('rank', repo.dir, ['rank', '--history'])
    checked('report', repo.dir, ['report'])
    checked('audit', repo.dir, ['audit', ID, '--auditor', 'alice'])
    checked('deploy', repo.dir, ['deploy', ID, '--stage', 'live'], {code: 1})
    await commitAuditReport(repo.dir, {id: ID, verdict: 'PASS', auditor: 'bob'})
    checked('deploy', repo.dir, ['deploy', ID, '--stage', 'paper'])
    checked('site', repo.dir, ['site', '--out', join(scratch, 'site')])
    checked('paper', repo.dir, ['paper', ID, '--data', join(scratch, 'new-prices.csv')])
    checked('deploy', repo.dir, ['deploy', ID, '--rollback', '--stage', 'paper'])
  })

  it('design, assess, handoff', () => {
    checked('design', repo.dir, ['design', '--count', '2'])
    checked('assess', repo.dir, ['assess', ID])
    writeFileSync(join(repo.dir, 'notes.txt'), 'cleaned\n')
    checked('handoff create', repo.dir, [
      'handoff',
      'create',
      '--task',
      'prep',
      '--from',
      'alice',
      '--to',
      'bob',
      '--artifact',
      'notes.txt',
    ])
    checked('handoff list', repo.dir, ['handoff', 'list'])
    checked('handoff verify', repo.dir, ['handoff', 'verify'])
  })

  it('covers every command with a result, and the error shape', () => {
    // cycle and demo run whole research cycles: their own tests run them and check their output (cycle*.test.ts);
    // test/integration/schedule.test.ts checks the schedule commands' output against their schemas
    const elsewhere = [
      'cycle',
      'cycle cancel',
      'cycle list',
      'demo',
      'schedule install',
      'schedule run',
      'schedule status',
      'schedule uninstall',
      // the slurm commands need a remote and a cluster: slurm-submit.test.ts, slurm.test.ts and slurm-cancel.test.ts check their output
      'slurm cancel',
      'slurm status',
      'slurm submit',
      // they need no workspace: json-output-kits.test.ts checks them, and that it covered exactly these
      ...KIT_COMMANDS,
    ]
    expect([...output.covered].sort()).toEqual([...Object.keys(COMMAND_RESULTS).filter((c) => !elsewhere.includes(c)), 'error'].sort())
  })
})
