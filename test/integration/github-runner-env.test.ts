import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor} from '../helpers/cli.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'
import {writeSpec} from './helpers.js'

// apart from github-workflow.test.ts, whose emulated workflow run takes most of the 90 s a file may take on a loaded
// host: this one took a fifth of that beside it

let repo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
})

describe('a runner under the generated workflow', () => {
  it("is not told where the auditor's signing key is", () => {
    repo = gitRepo()
    expect(rigor(repo.dir, ['init']).code).toBe(0)
    const tell = [
      process.execPath,
      '-e',
      "require('fs').writeFileSync(process.env.RIGOR_OUT + '/verdict.json', JSON.stringify({notes: 'key: ' + (process.env.RIGOR_SIGNING_KEY ?? 'none'), metrics: {sharpe: 1}}))",
    ]
    writeSpec(repo.dir, {nodes: [{id: 'peek/key', team: 'default', run: {command: tell}}]})
    expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
    expect(rigor(repo.dir, ['work'], {RIGOR_SIGNING_KEY: '/runner/temp/rigor-signing-key'}).code).toBe(0)
    expect(json(rigor(repo.dir, ['show', 'peek/key', '--json'])).verdict.notes).toBe('key: none')
  })
})
