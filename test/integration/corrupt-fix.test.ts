import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {nodeSpec, workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => repo?.cleanup())

describe('the fix a checksum failure gives', () => {
  it('for a state file committed by hand points at the commit that holds what rigor wrote, not at git checkout -- <file>', () => {
    repo = workspace()
    writeSpec(repo.dir, {nodes: [nodeSpec('default/a')]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    const file = 'experiments/default/a/node.yaml'
    const path = join(repo.dir, file)
    writeFileSync(path, readFileSync(path, 'utf8').replace('priority: 0', 'priority: 5'))
    repo.git('commit', '-qam', 'a hand edit')
    // `git checkout -- <file>` would put back the committed, corrupt bytes: it mends an uncommitted edit only
    const claim = json(rigor(repo.dir, ['claim', '--json']))
    expect(claim.error.reason).toBe('empty')
    const rerun = rigor(repo.dir, ['rerun', 'default/a', '--json'])
    expect(rerun.code).toBe(1)
    expect(json(rerun).error.fix).toContain(`rigor verify names the commit that holds it (git checkout <commit> -- ${file}, then commit)`)
    const verify = rigor(repo.dir, ['verify'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).not.toContain('Fix: restore each file from git (`git checkout -- <file>`)')
    expect(verify.stdout).toMatch(
      /Fix: put back what rigor wrote, then commit: git checkout [0-9a-f]{10} -- experiments\/default\/a\/node\.yaml/,
    )
  })
})
