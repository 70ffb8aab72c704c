import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigor, rigorAsync} from '../helpers/cli.js'
import type {TempRepo} from '../helpers/git-repo.js'
import {SH_GATED} from '../fixtures/runners.js'
import {runDirs, SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

let repo: TempRepo | undefined
afterEach(() => {
  repo?.cleanup()
  repo = undefined
})

describe('rigor work with many slots', {timeout: SLOW}, () => {
  it('12 runs at once: each listens for the stop, and node says nothing of a listener leak', async () => {
    repo = workspace()
    const dir = repo.dir
    writeSpec(dir, {
      nodes: Array.from({length: 12}, (_, i) => ({id: `wide/w${i}`, team: 'default', run: {command: SH_GATED, sandbox: 'off'}})),
    })
    expect(rigor(dir, ['seed', 'spec.yaml']).code).toBe(0)
    const worker = rigorAsync(dir, ['work', '--parallel', '12', '--json'])
    await waitFor(
      '12 runners started',
      () => runDirs(dir).filter((run) => existsSync(join(dir, '.git/rigor/runs', run, 'out/started'))).length === 12,
    )
    writeFileSync(join(dir, 'gate'), '')
    const done = await worker
    expect(done.code, done.stderr).toBe(0)
    expect(json(done)).toMatchObject({claimed: 12, finished: 12})
    expect(done.stderr).not.toMatch(/MaxListenersExceeded|memory leak/)
  })
})
