import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, rigorAsync} from '../helpers/cli.js'
import {waitFor} from '../helpers/processes.js'
import {git, remoteWithClones, removeRoot} from './remote-helpers.js'

let root: string | undefined
afterEach(() => removeRoot(root))

describe('the config a running worker judges by, through one git remote', () => {
  // the config was read once when the worker opened the workspace: a worker that runs for hours (`work --follow`, a
  // long queue) went on judging by a gate the team had since changed on the remote
  it('a verdict is decided by the rigor.yaml pushed to the remote after the worker started', async () => {
    const accepting = `version: 1\nteams: [{name: default}]\ngates: [{name: g, accept_when: 'metrics.sharpe > 0.0'}]`
    // no sandbox: the runner waits for a file under the test's directory, which a sandbox hides
    const runner = [
      'sh',
      '-c',
      'touch "$PROBE_DIR/started"; while [ ! -f "$PROBE_DIR/go" ]; do sleep 0.05; done; ' +
        'printf \'{"metrics":{"sharpe":1.0}}\' > "$RIGOR_OUT/verdict.json"',
    ]
    const made = remoteWithClones(2, {nodes: [{id: 'c/judged', team: 'default', run: {command: runner, sandbox: 'off'}}]}, accepting)
    root = made.root
    const {bare, clones} = made
    const probe = {PROBE_DIR: root}
    const worker = rigorAsync(clones[0]!, ['work', '--remote', 'origin', '--worker', 'long-lived', '--json'], probe)
    await waitFor('the run to start', () => existsSync(join(root!, 'started')))

    // someone else changes the gate on the remote while the run lasts
    const file = join(clones[1]!, 'rigor.yaml')
    git(clones[1]!, 'pull', '-q')
    writeFileSync(file, readFileSync(file, 'utf8').replace('accept_when', 'reject_when'))
    git(clones[1]!, 'commit', '-qam', 'the gate rejects')
    git(clones[1]!, 'push', '-q', 'origin', 'main')
    writeFileSync(join(root, 'go'), '')

    const result = await worker
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).by_status).toEqual({proven_rejected: 1})
    expect(git(bare, 'show', 'main:experiments/c/judged/verdict.yaml')).toMatch(/status: proven_rejected/)
  })
})
