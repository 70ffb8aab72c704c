import {appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execFileSync} from 'node:child_process'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {commitConfig, manyNodes, nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

/** A committed runner that writes a new model at each run: a rerun of it makes what read the model stale. */
function trainingRun(r: TempRepo): {command: string[]; timeout: string} {
  writeFileSync(
    join(r.dir, 'train.js'),
    "const fs = require('fs'); const out = process.env.RIGOR_OUT; fs.writeFileSync(out + '/model.json', String(Math.random())); fs.writeFileSync(out + '/verdict.json', JSON.stringify({status: 'proven_accepted', metrics: {sharpe: 1}}))\n",
  )
  r.git('add', 'train.js')
  r.git('commit', '-qm', 'train')
  return {command: ['node', 'train.js'], timeout: '1m'}
}

describe('rigor status', () => {
  it('shows a team of rigor.yaml that has no nodes yet, with zero counts, as status --team does', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('d/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    commitConfig(repo, {teams: [{name: 'default'}, {name: 'research2'}]})
    const text = rigor(repo.dir, ['status'])
    expect(text.code, text.stderr).toBe(0)
    const rows = text.stdout.split('\n')
    expect(rows).toContain('default\t1\t0\t0\t0\t0\t0\t0')
    expect(rows).toContain('research2\t0\t0\t0\t0\t0\t0\t0')
    const summary = json(rigor(repo.dir, ['status', '--json']))
    expect(summary.by_team).toEqual({default: {pending: 1}, research2: {}})
    expect(json(rigor(repo.dir, ['status', '--team', 'research2', '--json'])).by_team).toEqual({research2: {}})
  })

  it("with --team, warns only of that team's stale nodes, as its --json lists them", () => {
    repo = workspace()
    commitConfig(repo, {teams: [{name: 'default'}, {name: 'other'}]})
    const train = trainingRun(repo)
    writeSpec(repo.dir, {
      nodes: [
        {id: 'up/train', team: 'default', run: train},
        {
          id: 'down/bt',
          team: 'other',
          requires: ['up/train'],
          inputs: [{from: 'up/train', files: ['model.json'], as: 'model'}],
          run: train,
        },
      ],
    })
    for (const args of [['seed', 'spec.yaml'], ['work'], ['rerun', 'up/train'], ['work']]) {
      const out = rigor(repo.dir, args)
      expect(out.code, out.stderr).toBe(0)
    }
    expect(json(rigor(repo.dir, ['status', '--json'])).stale.map((s: {id: string}) => s.id)).toEqual(['down/bt'])
    expect(rigor(repo.dir, ['status', '--team', 'other']).stderr).toMatch(/stale: down\/bt/)
    expect(json(rigor(repo.dir, ['status', '--team', 'default', '--json'])).stale).toEqual([])
    const text = rigor(repo.dir, ['status', '--team', 'default'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stderr).not.toMatch(/stale/)
  })

  it('names the first ten stale nodes one a line and counts the rest, which --json lists in full', () => {
    repo = workspace()
    const train = trainingRun(repo)
    // thirteen strategies read one model: retraining it makes each of them stale
    const readers = Array.from({length: 13}, (_, i) => ({
      id: `down/s${String(i).padStart(2, '0')}`,
      team: 'default',
      requires: ['up/train'],
      inputs: [{from: 'up/train', files: ['model.json'], as: 'model'}],
      run: train,
    }))
    writeSpec(repo.dir, {nodes: [{id: 'up/train', team: 'default', run: train}, ...readers]})
    for (const args of [
      ['seed', 'spec.yaml'],
      ['work', '--parallel', '4'],
      ['rerun', 'up/train'],
      ['work', '--max-nodes', '1'],
    ]) {
      const out = rigor(repo.dir, args)
      expect(out.code, out.stderr).toBe(0)
    }
    expect(json(rigor(repo.dir, ['status', '--json'])).stale).toHaveLength(13)
    // oclif wraps a warning at the terminal's width: read as one text
    const said = rigor(repo.dir, ['status']).stderr.replace(/\s*\n\s*(›\s*)?/g, ' ')
    expect(said.match(/Warning: stale: down\//g)).toHaveLength(10)
    expect(said).toContain('Warning: ... and 3 more stale node(s): `rigor status --json` lists them all (stale)')
  })

  it('names the first ten edited and unusable state files one a line and counts the rest, which --json lists in full', () => {
    repo = workspace()
    writeSpec(repo.dir, manyNodes(13, ['true']))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    // a sed over experiments/: thirteen node files edited, then committed by hand (their checksums no longer match)
    const files = readdirSync(join(repo.dir, 'experiments/bulk')).map((d) => join(repo.dir, 'experiments/bulk', d, 'node.yaml'))
    expect(files).toHaveLength(13)
    for (const file of files) writeFileSync(file, readFileSync(file, 'utf8').replace(/^priority: 0$/m, 'priority: 7'))
    const oneText = (stderr: string) => stderr.replace(/\s*\n\s*(›\s*)?/g, ' ')
    expect(json(rigor(repo.dir, ['status', '--json'])).local_edits).toHaveLength(13)
    const edited = oneText(rigor(repo.dir, ['status']).stderr)
    expect(edited.match(/Warning: experiments\/bulk\/[^ ]+\/node\.yaml has uncommitted edits/g)).toHaveLength(10)
    expect(edited).toContain(
      'Warning: ... and 3 more state file(s) with uncommitted edits: `rigor status --json` lists them all (local_edits)',
    )

    repo.git('commit', '-qam', 'by hand')
    expect(json(rigor(repo.dir, ['status', '--json'])).problems).toHaveLength(13)
    const broken = oneText(rigor(repo.dir, ['status']).stderr)
    expect(broken.match(/checksum mismatch/g)).toHaveLength(10)
    expect(broken).toContain('Warning: 13 state file(s) cannot be used (the first 10 named above, `rigor status --json` lists them all)')
  })

  it('in a copied checkout (every index entry stat-dirty) names only the file really edited, and refreshes the index once', () => {
    repo = workspace()
    writeSpec(repo.dir, manyNodes(80, ['true']))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const scratch = mkdtempSync(join(tmpdir(), 'rigor-copied-'))
    try {
      const copy = join(scratch, 'copy')
      // a copy's files have new inodes and times: git's stat data of every entry is stale
      cpSync(repo.dir, copy, {recursive: true})
      const edited = 'experiments/bulk/n0007/node.yaml'
      appendFileSync(join(copy, edited), '# a hand edit\n')
      const git = (...args: string[]) => execFileSync('git', args, {cwd: copy, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
      expect(git('diff-index', '--name-only', 'HEAD', '--', 'experiments').split('\n').filter(Boolean).length).toBeGreaterThan(80)
      const summary = json(rigor(copy, ['status', '--json']))
      expect(summary.local_edits).toEqual([edited])
      // refreshed as git status would: the next status reads no file again
      expect(git('diff-index', '--name-only', 'HEAD', '--', 'experiments').trim()).toBe(edited)
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })

  it('after files and the index were written in the same second (a big seed), writes the index again once, so git stops hashing every file', () => {
    repo = workspace()
    writeSpec(repo.dir, manyNodes(80, ['true']))
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const git = (...args: string[]) => execFileSync('git', args, {cwd: repo.dir, env: {...process.env, ...GIT_ENV}, encoding: 'utf8'})
    // what a seed that writes every file within the second of the index leaves, made certain here: the files dated
    // ten seconds back, the index's stat data brought to them, then the index itself dated in their second
    const then = Math.floor(Date.now() / 1000) - 10
    for (const file of git('ls-files', '-z', 'experiments').split('\0').filter(Boolean)) utimesSync(join(repo.dir, file), then, then)
    git('update-index', '-q', '--refresh')
    const index = join(repo.dir, '.git', 'index')
    utimesSync(index, then, then)
    expect(git('diff-index', '--name-only', 'HEAD', '--', 'experiments').trim()).toBe('')
    const indexSecond = () => Math.floor(statSync(index).mtimeMs / 1000)
    // told to take no optional lock, rigor leaves the index as it is
    expect(rigor(repo.dir, ['status', '--json'], {GIT_OPTIONAL_LOCKS: '0'}).code).toBe(0)
    expect(indexSecond()).toBe(then)
    const summary = json(rigor(repo.dir, ['status', '--json']))
    expect(summary.local_edits).toEqual([])
    // written again in a later second: git no longer has to read the 80 files to know they are unchanged
    expect(indexSecond()).toBeGreaterThan(then)
    // an index written after its files has nothing to mend and is left alone
    utimesSync(index, then + 1, then + 1)
    expect(rigor(repo.dir, ['status', '--json']).code).toBe(0)
    expect(indexSecond()).toBe(then + 1)
  })
})
