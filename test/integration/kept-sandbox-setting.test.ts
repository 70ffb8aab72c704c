import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo
afterEach(() => repo?.cleanup())

describe('RIGOR_KEPT_SANDBOX', () => {
  it('is on or off: another value (a 0 or false meant as off) is exit 2 naming it, before anything is claimed', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('default/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    for (const value of ['0', 'false', 'OFF']) {
      const work = rigor(repo.dir, ['work', '--json'], {RIGOR_KEPT_SANDBOX: value})
      expect(work.code, work.stdout + work.stderr).toBe(2)
      const error = json(work).error
      expect(error.message).toContain(`field "RIGOR_KEPT_SANDBOX": RIGOR_KEPT_SANDBOX=${JSON.stringify(value)} is neither on nor off`)
      expect(error.fix).toContain('RIGOR_KEPT_SANDBOX=off')
    }
    expect(rigor(repo.dir, ['log', '--action', 'claim']).stdout).toBe('')
    for (const value of ['off', 'on']) {
      const work = rigor(repo.dir, ['work', '--json'], {RIGOR_KEPT_SANDBOX: value})
      expect(work.code, work.stderr).toBe(0)
      if (value === 'off') expect(json(work)).toMatchObject({finished: 1})
    }
  })
})
