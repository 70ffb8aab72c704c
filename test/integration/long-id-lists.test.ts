import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

const REJECT = ['sh', '-c', 'printf \'{"status":"proven_rejected"}\' > "$RIGOR_OUT/verdict.json"']
const ids = Array.from({length: 30}, (_, i) => `c/n${String(i).padStart(3, '0')}`)

// cancelling the root of a 30,000-node requires chain printed every id it blocked on one line (260 KB)
describe('a long list of ids in human output', () => {
  it('cancel and rerun name the first ten and how many more; --json keeps every id', () => {
    repo = workspace()
    writeSpec(repo.dir, {
      nodes: ids.map((id, i) => (i === 0 ? nodeSpec(id, REJECT) : nodeSpec(id, ['true'], {requires: [ids[i - 1]]}))),
    })
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['run', 'c/n000']).code).toBe(0)
    const first = ids.slice(1, 11).join(', ')
    const rerun = rigor(repo.dir, ['rerun', 'c/n000'])
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(rerun.stdout.trim()).toBe(
      `c/n000 is pending again (was proven_rejected); ${first}, ... and 19 more, which it had blocked, wait for it again`,
    )
    const cancel = rigor(repo.dir, ['cancel', 'c/n000'])
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout.trim()).toBe(`cancelled c/n000; blocked ${first}, ... and 19 more`)
    expect(json(rigor(repo.dir, ['rerun', 'c/n000', '--json'])).unblocked).toEqual(ids.slice(1))
    expect(json(rigor(repo.dir, ['cancel', 'c/n000', '--json'])).blocked).toEqual(ids.slice(1))
  })
})
